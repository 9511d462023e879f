import { conflict, invalid, notFound } from '../core/errors.ts';

/** Stable codes of the API apps capability; clients switch on `code`. */
export const appNotFound = (ref: string) => notFound('API_APP_NOT_FOUND', `No API app "${ref}" in this tenant.`, 'api_apps.list shows app names and ids.');

export const appNameTaken = (name: string) =>
  conflict('API_APP_NAME_TAKEN', `An API app named "${name}" already exists in this tenant.`, { field: 'name', hint: 'Pick another name, or update the existing app (api_apps.update).' });

export const keyNotFound = (id: string) => notFound('API_KEY_NOT_FOUND', `No API key ${id} in this tenant.`, 'api_keys.list shows key ids.');

export const scopesNotInApp = (app: string, scopes: string[]) =>
  invalid('SCOPE_NOT_IN_APP', `A key can carry only scopes of its app "${app}"; not in the app: ${scopes.join(', ')}.`, {
    field: 'scopes',
    hint: 'Add the scopes to the app first (api_apps.update), or leave scopes out to give the key all of the app’s scopes.',
  });

export const nothingToUpdate = () => invalid('NOTHING_TO_UPDATE', 'Give at least one of name, description or scopes to change.', { field: 'name' });
