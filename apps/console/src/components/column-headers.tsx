/** A table's column headers; an actions column (no visible title) when `actions` is set. */
export function ColumnHeaders({ columns, actions = false }: { columns: (string | { label: string; numeric?: boolean })[]; actions?: boolean }) {
  return (
    <tr>
      {columns.map((c) => {
        const { label, numeric } = typeof c === 'string' ? { label: c, numeric: false } : c;
        return (
          <th key={label} scope="col" className={numeric ? 'num' : undefined}>
            {label}
          </th>
        );
      })}
      {actions && (
        <th scope="col">
          <span className="sr-only">Actions</span>
        </th>
      )}
    </tr>
  );
}
