/** Marks an environment whose deploys need an admin (`deployments.protected`). */
export function ProtectedBadge() {
  return (
    <span className="badge badge-protected" data-testid="protected-badge" title="Deploys here need an admin (the deployments.protected permission)">
      protected
    </span>
  );
}
