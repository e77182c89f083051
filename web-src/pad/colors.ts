// A stable colour per participant, derived from its id.

export interface Colors {
  color: string;
  colorLight: string;
}

export function colorsFor(id: string): Colors {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  return { color: `hsl(${hue} 70% 42%)`, colorLight: `hsl(${hue} 80% 42% / 0.18)` };
}
