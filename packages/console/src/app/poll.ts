/**
 * Calls `load` now and then every `intervalMs`, for a page that keeps its data fresh; returns
 * the effect's clean-up, so a `useEffect` can `return poll(load, ms)`.
 */
export function poll(load: () => Promise<void>, intervalMs: number): () => void {
  void load();
  const timer = setInterval(() => void load(), intervalMs);
  return () => {
    clearInterval(timer);
  };
}
