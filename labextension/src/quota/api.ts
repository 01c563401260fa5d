/**
 * The user's own quota, read through the lab's own server.
 *
 * The hub's quota service is on the same origin as every user's server, so
 * JupyterHub refuses script requests that carry only a cookie there; the
 * user's server relays instead (`GET dl/hub/quota`, served by
 * `jupyter_dl_hub.quotas.server`) with its own hub token. The quota page
 * itself is the service's, at `/services/jupyter-dl-quotas/`.
 */
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The quota service's name among the hub's services.
 */
export const QUOTA_SERVICE = 'jupyter-dl-quotas';

/**
 * The relay's path under the server's base URL.
 */
export const QUOTA_ROUTE = 'dl/hub/quota';

/**
 * The user's quota as the service answers it.
 */
export interface IQuotaStatus {
  user: string;
  groups: string[];
  limits: {
    max_gpus: number | 'unlimited';
    gpu_hours: number | 'unlimited';
    period_days: number;
    max_servers: number | 'unlimited';
    allowed_profiles: string[] | '*';
    sources: Record<string, string>;
  };
  usage: { servers: number; gpus: number; gpu_hours: number };
  budget: {
    state: 'ok' | 'warning' | 'exhausted' | 'unlimited';
    used_hours: number;
    limit_hours: number | 'unlimited';
    period_days: number;
    fraction: number | null;
    source: string;
  };
  when_exhausted: 'stop' | 'warn';
  notices: { kind: string; message: string; created_at: number }[];
}

/**
 * The quota page's URL (ending in `/`), or `null` when this lab was not
 * started by a hub.
 */
export function quotaPageUrl(): string | null {
  const hubPrefix = PageConfig.getOption('hubPrefix');
  if (!hubPrefix) {
    return null;
  }
  // The hub's base URL is its prefix without the trailing `hub/`.
  const hubBase = hubPrefix.replace(/hub\/?$/, '');
  return URLExt.join(hubBase, 'services', QUOTA_SERVICE, '/');
}

/**
 * A failed read of the quota; `status` is `null` when no answer came.
 */
export class QuotaError extends Error {
  constructor(
    message: string,
    readonly status: number | null
  ) {
    super(message);
  }
}

/**
 * Read the user's quota through this lab's server.
 */
export async function fetchMyQuota(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<IQuotaStatus> {
  const url = URLExt.join(settings.baseUrl, QUOTA_ROUTE);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, {}, settings);
  } catch (reason) {
    throw new QuotaError(
      `The server could not be reached: ${(reason as Error).message}`,
      null
    );
  }
  const text = await response.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below by status.
  }
  if (!response.ok || body === null) {
    const message =
      body?.error?.message ??
      `${url} answered HTTP ${response.status} ${response.statusText}`;
    throw new QuotaError(message, response.status);
  }
  return body as IQuotaStatus;
}
