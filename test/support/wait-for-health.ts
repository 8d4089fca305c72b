// A daemon started as a process of its own: answered once its health probe does (10 s at most).
export async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const ok = await fetch(`${url}/anyclaude/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(50);
  }
}
