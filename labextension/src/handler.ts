/**
 * All HTTP between the lab and the platform API goes through `requestAPI`,
 * so authentication (XSRF, tokens, base URL) and error decoding live in one
 * place.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IErrorBody } from './tokens';

/**
 * The path of the platform API under the server's base URL.
 */
export const API_NAMESPACE = 'dl/api';

/**
 * One path segment of a route, encoded: names may hold `/` (metric keys,
 * artifact names), which the routes expect encoded. A name that is all dots
 * is encoded too, so that URL joining never reads it as `.` or `..`.
 */
export function pathSegment(value: string): string {
  const encoded = encodeURIComponent(value);
  return /^\.+$/.test(value) ? encoded.replace(/\./g, '%2E') : encoded;
}

/**
 * A query string (with its `?`) from name/value pairs, skipping empty values;
 * an array value repeats the name.
 */
export function queryString(
  params: Record<
    string,
    string | number | boolean | string[] | null | undefined
  >
): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item === null || item === undefined || item === '') {
        continue;
      }
      pairs.push(
        `${encodeURIComponent(name)}=${encodeURIComponent(String(item))}`
      );
    }
  }
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

/**
 * A failed platform API call, carrying the server's error code and message.
 */
export class PlatformAPIError extends Error {
  constructor(options: PlatformAPIError.IOptions) {
    super(options.message);
    this.name = 'PlatformAPIError';
    this.code = options.code;
    this.status = options.status ?? null;
    this.url = options.url;
  }

  /**
   * The machine-readable error code, e.g. `not_found`, or `network_error`
   * when the server could not be reached at all.
   */
  readonly code: string;

  /**
   * The HTTP status, `null` when no response arrived.
   */
  readonly status: number | null;

  /**
   * The URL that was requested.
   */
  readonly url: string;
}

export namespace PlatformAPIError {
  export interface IOptions {
    code: string;
    message: string;
    url: string;
    status?: number | null;
  }
}

/**
 * Call the platform API of the Jupyter server.
 *
 * @param endpoint The path below `/dl/api`, e.g. `info`.
 * @param init Request options (method, body, ...).
 * @param settings The server connection; the page's own server by default.
 * @returns The decoded JSON body of a successful response.
 * @throws {PlatformAPIError} On a network failure, an error status, or a body
 *   that is not JSON.
 */
export async function requestAPI<T>(
  endpoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    throw new PlatformAPIError({
      code: 'network_error',
      message: `Could not reach the Jupyter server at ${settings.baseUrl}: ${
        (reason as Error).message ?? reason
      }`,
      url
    });
  }

  const text = await response.text();
  let body: unknown = null;
  let isJSON = false;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
      isJSON = true;
    } catch {
      // Decided below: an error page is reported by status, a success must be JSON.
    }
  }

  if (!response.ok) {
    throw Private.errorFromResponse(response, url, isJSON ? body : null);
  }
  if (text.length > 0 && !isJSON) {
    throw new PlatformAPIError({
      code: 'invalid_response',
      message: `${url} answered with a body that is not JSON; is another application serving /${API_NAMESPACE}?`,
      status: response.status,
      url
    });
  }
  return body as T;
}

namespace Private {
  /**
   * Whether a decoded body follows the platform's error convention.
   */
  function isErrorBody(body: unknown): body is IErrorBody {
    if (typeof body !== 'object' || body === null || !('error' in body)) {
      return false;
    }
    const error = (body as IErrorBody).error;
    return (
      typeof error === 'object' &&
      error !== null &&
      typeof error.message === 'string'
    );
  }

  /**
   * Build the error for a non-2xx response.
   */
  export function errorFromResponse(
    response: Response,
    url: string,
    body: unknown
  ): PlatformAPIError {
    const status = response.status;
    if (isErrorBody(body)) {
      return new PlatformAPIError({
        code: body.error.code || `http_${status}`,
        message: body.error.message,
        status,
        url
      });
    }
    // A model deployment answers as the Open Inference Protocol does,
    // `{"error": "message"}`, passed through by the platform unchanged.
    const protocolError =
      typeof body === 'object' && body !== null
        ? (body as { error?: unknown }).error
        : undefined;
    if (typeof protocolError === 'string' && protocolError) {
      return new PlatformAPIError({
        code: `http_${status}`,
        message: protocolError,
        status,
        url
      });
    }
    // Jupyter server's own error pages carry a `message` (or `reason`).
    const serverMessage =
      typeof body === 'object' && body !== null
        ? ((body as { message?: string; reason?: string }).message ??
          (body as { reason?: string }).reason)
        : undefined;
    if (status === 404) {
      return new PlatformAPIError({
        code: 'not_found',
        message:
          `${url} was not found (HTTP 404). Enable the jupyter_dl server extension ` +
          '(jupyter server extension enable jupyter_dl) and restart the server.',
        status,
        url
      });
    }
    if (status === 401 || status === 403) {
      return new PlatformAPIError({
        code: 'forbidden',
        message:
          serverMessage ||
          `The server refused ${url} (HTTP ${status}). Log in again and reload the page.`,
        status,
        url
      });
    }
    return new PlatformAPIError({
      code: `http_${status}`,
      message:
        serverMessage ||
        `${url} failed with HTTP ${status} ${response.statusText}`.trim(),
      status,
      url
    });
  }
}
