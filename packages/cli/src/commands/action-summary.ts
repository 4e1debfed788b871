/** A one-line description of an action config: its type and where it goes. */
export function actionSummary(config: { readonly type: string }): string {
  const action = config as { readonly type: string } & Readonly<Record<string, unknown>>;
  const target =
    pick(action, 'url') ??
    pick(action, 'urlEnv') ??
    pick(action, 'channel') ??
    pick(action, 'to') ??
    pick(action, 'name') ??
    pick(action, 'key') ??
    pick(action, 'queue');
  return target === undefined ? action.type : `${action.type} ${target}`;
}

function pick(action: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = action[key];
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join(',');
  return undefined;
}
