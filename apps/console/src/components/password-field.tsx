import { useId } from 'react';

export const MIN_PASSWORD_LENGTH = 12;

/** A new password: at least 12 characters, with the rule said under the field. */
export function NewPasswordField({ label = 'Password', name = 'password', hint = true }: { label?: string; name?: string; hint?: boolean }) {
  const hintId = useId();
  return (
    <label className="field">
      <span>{label}</span>
      <input name={name} type="password" autoComplete="new-password" required minLength={MIN_PASSWORD_LENGTH} aria-describedby={hint ? hintId : undefined} />
      {hint && (
        <span id={hintId} className="small muted field-hint">
          At least {MIN_PASSWORD_LENGTH} characters.
        </span>
      )}
    </label>
  );
}
