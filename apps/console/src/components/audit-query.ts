/** The audit trail's filters, as they appear in the console's URL and in the API's query. */
export const AUDIT_FILTERS = ['actor', 'action', 'targetType', 'targetId', 'from', 'to'] as const;
export type AuditFilterName = (typeof AUDIT_FILTERS)[number];
export type AuditFilterValues = Partial<Record<AuditFilterName, string>>;

/** The filters as a query string (only those set), e.g. `actor=ada%40example.com&action=member.`. */
export function auditQuery(filters: AuditFilterValues): string {
  const query = new URLSearchParams();
  for (const name of AUDIT_FILTERS) if (filters[name]) query.set(name, filters[name]);
  return query.toString();
}

/** The filters of a page's `searchParams` (first value of each). */
export function auditFiltersOf(searchParams: Record<string, string | string[] | undefined>): AuditFilterValues {
  const filters: AuditFilterValues = {};
  for (const name of AUDIT_FILTERS) {
    const value = searchParams[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first) filters[name] = first;
  }
  return filters;
}
