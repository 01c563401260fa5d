/**
 * Every failure the Experiments panel shows is a `PlatformAPIError`, so views
 * render one shape whatever went wrong.
 */
import { PlatformAPIError } from '../handler';

/**
 * The error as a `PlatformAPIError`, wrapping anything else that was thrown.
 */
export function asPlatformError(
  reason: unknown,
  url: string
): PlatformAPIError {
  if (reason instanceof PlatformAPIError) {
    return reason;
  }
  return new PlatformAPIError({
    code: 'unexpected_error',
    message: String((reason as Error)?.message ?? reason),
    url
  });
}
