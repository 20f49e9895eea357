/** How late the gateway thread's timers fire: a busy gateway delays every request. */
export function watchEventLoopLag(intervalMs = 500) {
  let lagMs = 0
  let expected = performance.now() + intervalMs
  const timer = setInterval(() => {
    const now = performance.now()
    lagMs = Math.max(0, now - expected)
    expected = now + intervalMs
  }, intervalMs)
  timer.unref()
  return { lagMs: () => lagMs, stop: () => clearInterval(timer) }
}
