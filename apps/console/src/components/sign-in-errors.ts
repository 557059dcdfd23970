/** What a failed `signIn('credentials', …)` means for the person signing in. */
export function credentialsErrorMessage(error: string | null | undefined): string {
  switch (error) {
    case 'locked':
      return 'Too many failed attempts. Try again in 15 minutes, or reset your password.';
    case 'rate_limited':
      return 'Too many sign-in attempts from here. Wait a minute and try again.';
    case 'sso_required':
      return 'Your organization signs in with single sign-on: sign in through its identity provider.';
    case 'no_tenant':
      return 'Your account no longer belongs to any organization. Ask an admin to invite you again.';
    default:
      return 'Invalid email or password';
  }
}

/** The `?error=` next-auth puts on /login when a sign-in (usually single sign-on) fails. */
export function signInPageErrorMessage(error: string | null | undefined): string | null {
  if (!error) return null;
  switch (error) {
    case 'CredentialsSignin':
    case 'locked':
    case 'rate_limited':
    case 'sso_required':
    case 'no_tenant':
      return credentialsErrorMessage(error);
    case 'sso_email_missing':
      return 'Your identity provider did not share your email address with Orvanta. Ask your administrator to release the email claim to this application.';
    case 'sso_email_unverified':
      return 'Your identity provider did not confirm your email address, so single sign-on cannot use it. Ask your administrator.';
    case 'sso_not_configured':
      return 'Single sign-on is not set up, or is turned off, for your organization. Sign in with your password or ask your administrator.';
    case 'sso_domain_mismatch':
      return 'Your email’s domain is not one your organization signs in with through single sign-on. Ask your administrator.';
    case 'sso_failed':
    case 'AccessDenied':
      return 'Your organization’s identity provider did not allow this sign-in, or your account is not a member here. Ask your administrator for access.';
    case 'OAuthSignin':
    case 'OAuthCallback':
    case 'OAuthCreateAccount':
    case 'Callback':
      return 'Single sign-on did not complete. Try again; if it keeps failing, ask your administrator to check the SSO settings.';
    case 'OAuthAccountNotLinked':
      return 'This email already has an account that signs in another way. Sign in with your password, or ask your administrator.';
    case 'SessionRequired':
      return 'Sign in to continue.';
    case 'Configuration':
      return 'Sign-in is misconfigured on this installation. Contact your administrator.';
    default:
      return 'Sign-in did not complete. Try again.';
  }
}
