export function Problem({ error }: { error: string | null }) {
  return error ? <p className="problem" role="alert">{error}</p> : null;
}
