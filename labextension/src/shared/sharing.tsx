/**
 * Who holds a project, dataset or model, and sharing it with a group, for
 * servers that use the team's platform service: a small button saying
 * "Private" or "Shared with vision (read)" that opens a form. Servers with a
 * store of their own (no team) show nothing, since there is nobody to share
 * with.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, lockIcon, usersIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { pathSegment, requestAPI } from '../handler';
import { IPlatformInfo } from '../tokens';
import { asPlatformError } from './errors';
import { Field, FormError, formDialog } from './form';

/**
 * What `GET .../sharing` answers.
 */
export interface ISharing {
  owner: string | null;
  group: string | null;
  group_access: 'read' | 'write';
}

export type ShareableKind = 'project' | 'dataset' | 'model';

const ROUTES: Record<ShareableKind, string> = {
  project: 'projects',
  dataset: 'datasets',
  model: 'models'
};

let teamMode: Promise<boolean> | null = null;

/**
 * Whether this server uses a team's platform service; asked once.
 */
export function usesTeamPlatform(): Promise<boolean> {
  if (teamMode === null) {
    teamMode = requestAPI<IPlatformInfo>('info')
      .then(info => Boolean(info.team))
      .catch(() => {
        teamMode = null;
        return false;
      });
  }
  return teamMode;
}

function sharingPath(kind: ShareableKind, name: string): string {
  return `${ROUTES[kind]}/${pathSegment(name)}/sharing`;
}

export interface ISharingButtonProps {
  kind: ShareableKind;
  name: string;
  trans: TranslationBundle;
}

/**
 * The record's sharing, as a button that opens the sharing form.
 */
export function SharingButton(props: ISharingButtonProps): JSX.Element | null {
  const { kind, name, trans } = props;
  const [team, setTeam] = React.useState(false);
  const [sharing, setSharing] = React.useState<ISharing | null>(null);

  React.useEffect(() => {
    let live = true;
    setSharing(null);
    void usesTeamPlatform().then(async inTeam => {
      if (!live) {
        return;
      }
      setTeam(inTeam);
      if (!inTeam) {
        return;
      }
      try {
        const found = await requestAPI<ISharing>(sharingPath(kind, name));
        if (live) {
          setSharing(found);
        }
      } catch {
        // Not shown: the view of the record reports why it cannot be read.
      }
    });
    return () => {
      live = false;
    };
  }, [kind, name]);

  if (!team || sharing === null) {
    return null;
  }
  const shared = sharing.group !== null;
  const label = shared
    ? sharing.group_access === 'write'
      ? trans.__('Shared with %1 (read and write)', sharing.group ?? '')
      : trans.__('Shared with %1 (read)', sharing.group ?? '')
    : trans.__('Private');
  const Icon = shared ? usersIcon : lockIcon;
  return (
    <button
      type="button"
      className="jp-Button jp-mod-minimal jp-DLSharing-button"
      data-testid="dl-sharing"
      data-shared={shared ? (sharing.group ?? '') : ''}
      title={trans.__(
        'Owned by %1. Share it with one of your groups, or make it private.',
        sharing.owner ?? trans.__('nobody')
      )}
      onClick={() =>
        void shareDialog({ kind, name, sharing, trans }).then(changed => {
          if (changed) {
            setSharing(changed);
          }
        })
      }
    >
      <Icon.react tag="span" className="jp-DLSharing-icon" />
      <span>{label}</span>
    </button>
  );
}

interface IShareForm {
  group: string;
  access: 'read' | 'write';
}

/**
 * Ask with which group to share the record (empty: private) and how; the
 * server's refusal (not a member of that group, not the owner) is shown in the
 * form. Resolves with the new sharing, or `null` when cancelled.
 */
export async function shareDialog(options: {
  kind: ShareableKind;
  name: string;
  sharing: ISharing;
  trans: TranslationBundle;
}): Promise<ISharing | null> {
  const { kind, name, sharing, trans } = options;
  let result: ISharing | null = null;
  const titles: Record<ShareableKind, string> = {
    project: trans.__('Share the project %1', name),
    dataset: trans.__('Share the dataset %1', name),
    model: trans.__('Share the model %1', name)
  };
  await formDialog<IShareForm>({
    title: titles[kind],
    accept: trans.__('Save'),
    initial: { group: sharing.group ?? '', access: sharing.group_access },
    trans,
    render: (value, onChange, error) => (
      <div className="jp-DLForm" data-testid="dl-share-form">
        <FormError error={error} />
        <Field
          label={trans.__('Group')}
          hint={trans.__(
            'One of your groups; leave empty to keep it private to %1.',
            sharing.owner ?? trans.__('its owner')
          )}
        >
          <input
            className="jp-mod-styled"
            data-testid="dl-share-group"
            value={value.group}
            placeholder={trans.__('private')}
            onChange={event =>
              onChange({ ...value, group: event.target.value })
            }
          />
        </Field>
        <Field label={trans.__('The group may')}>
          <HTMLSelect
            data-testid="dl-share-access"
            value={value.access}
            aria-label={trans.__('What the group may do')}
            onChange={event =>
              onChange({
                ...value,
                access: event.target.value as IShareForm['access']
              })
            }
          >
            <option value="read">{trans.__('read')}</option>
            <option value="write">{trans.__('read and write')}</option>
          </HTMLSelect>
        </Field>
      </div>
    ),
    submit: async value => {
      try {
        result = await requestAPI<ISharing>(sharingPath(kind, name), {
          method: 'PUT',
          body: JSON.stringify({
            group: value.group.trim() || null,
            group_access: value.access
          })
        });
        return null;
      } catch (reason) {
        return asPlatformError(reason, sharingPath(kind, name)).message;
      }
    }
  });
  return result;
}
