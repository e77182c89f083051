// File names in a session: relative, no "..", printable, short.

export const MAX_PATH = 120;

export function checkPath(path: string, existing: Iterable<string>): string | null {
  const trimmed = path.trim();
  if (trimmed === "") return "Give the file a name.";
  if (trimmed.length > MAX_PATH) return `Names are at most ${MAX_PATH} characters.`;
  if (trimmed.startsWith("/") || trimmed.includes("\\")) return "Use a relative path such as src/app.py.";
  if (trimmed.split("/").some((part) => part === "" || part === "." || part === ".."))
    return "A path cannot contain empty, '.' or '..' parts.";
  if (!/^[\w .+@()-]+(\/[\w .+@()-]+)*$/u.test(trimmed)) return "Use letters, digits, spaces and . _ - + @ ( ) only.";
  for (const other of existing) if (other === trimmed) return "A file with this name exists.";
  return null;
}
