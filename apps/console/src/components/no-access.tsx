/** Shown instead of a page the signed-in role may not read. */
export function NoAccess({ role, thing, permission }: { role: string; thing: string; permission: string }) {
  return (
    <div className="empty" data-testid="no-access">
      <p>
        <strong>
          Your role ({role}) can&apos;t see {thing}.
        </strong>
      </p>
      <p className="small">
        It needs the <span className="mono">{permission}</span> permission. Ask an owner or admin of this organization if you need access.
      </p>
    </div>
  );
}
