/** Saves text or a data URL as a file through the browser's download (no API involved). */
export function downloadHref(name: string, href: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.click();
}

export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  downloadHref(name, url);
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
