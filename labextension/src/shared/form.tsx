/**
 * Forms in a JupyterLab dialog that stay open until the server accepts them: a
 * refused form opens again with the server's reason above the values as they
 * were entered. Used by the registry's deploy and publish forms and by sharing.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * A dialog body holding a form's values, so the dialog can return them.
 */
class FormBody<T> extends ReactWidget {
  constructor(
    initial: T,
    private _render: (
      value: T,
      onChange: (value: T) => void
    ) => React.ReactElement
  ) {
    super();
    this._value = initial;
    this.addClass('jp-DLForm-dialog');
  }

  getValue(): T {
    return this._value;
  }

  protected render(): JSX.Element {
    return (
      <FormState
        initial={this._value}
        render={this._render}
        onChange={value => {
          this._value = value;
        }}
      />
    );
  }

  private _value: T;
}

function FormState<T>(props: {
  initial: T;
  render: (value: T, onChange: (value: T) => void) => React.ReactElement;
  onChange: (value: T) => void;
}): React.ReactElement {
  const [value, setValue] = React.useState(props.initial);
  return props.render(value, next => {
    setValue(next);
    props.onChange(next);
  });
}

/**
 * Show a form until it is cancelled or `submit` accepts its values;
 * `submit` answers with the reason to show the form again, or `null`.
 */
export async function formDialog<T>(options: {
  title: string;
  accept: string;
  initial: T;
  render: (
    value: T,
    onChange: (value: T) => void,
    error: string | null
  ) => React.ReactElement;
  submit: (value: T) => Promise<string | null>;
  trans: TranslationBundle;
}): Promise<boolean> {
  const { trans } = options;
  let value = options.initial;
  let error: string | null = null;
  for (;;) {
    const shownError = error;
    const body = new FormBody<T>(value, (current, onChange) =>
      options.render(current, onChange, shownError)
    );
    const result = await showDialog({
      title: options.title,
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: options.accept })
      ],
      focusNodeSelector: 'input, select'
    });
    if (!result.button.accept || result.value === null) {
      return false;
    }
    value = result.value;
    error = await options.submit(value);
    if (error === null) {
      return true;
    }
  }
}

export function FormError(props: { error: string | null }): JSX.Element | null {
  return props.error ? (
    <div className="jp-DLForm-error" role="alert" data-testid="dl-form-error">
      {props.error}
    </div>
  ) : null;
}

export function Field(props: {
  label: string;
  hint?: string;
  children: React.ReactElement;
}): JSX.Element {
  return (
    <label className="jp-DLForm-field">
      <span className="jp-DLForm-label">{props.label}</span>
      {props.children}
      {props.hint && <span className="jp-DLForm-hint">{props.hint}</span>}
    </label>
  );
}
