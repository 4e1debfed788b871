import { useState } from 'preact/hooks';

/** A pending confirmation: what is asked, and what runs on yes. */
export interface Ask {
  readonly question: string;
  readonly yes: string;
  readonly run: () => Promise<void>;
}

/** A state hook plus the dialog it renders: `ask(...)` opens it, the action runs on confirm. */
export function useConfirm(): [(ask: Ask) => void, preact.JSX.Element | null] {
  const [pending, setPending] = useState<Ask | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  if (pending === undefined) return [setPending, null];
  const dialog = (
    <div class="backdrop">
      <div class="dialog" role="dialog" aria-modal="true">
        <p>{pending.question}</p>
        <div class="row">
          <button
            type="button"
            class="danger"
            data-testid="confirm-yes"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              void pending.run().finally(() => {
                setBusy(false);
                setPending(undefined);
              });
            }}
          >
            {pending.yes}
          </button>
          <button
            type="button"
            data-testid="confirm-no"
            disabled={busy}
            onClick={() => {
              setPending(undefined);
            }}
          >
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
  return [setPending, dialog];
}
