"""Sign-in, sessions, CSRF, rate limits, security headers and the one access policy."""
