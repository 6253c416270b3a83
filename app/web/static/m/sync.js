// Sending the queue: pending scans go to /api/scans/batch with their client ids, so a scan
// sent twice (a lost answer, two tabs) is counted once; each answer lands on its record.
import { ApiError, call } from "./api.js";
import { pending, save } from "./queue.js";

const CHUNK = 100; // the API takes up to 500 a request
let running = null;

// Scans the server could not take right now (busy, restarting) stay pending and go again.
function retryLater(status) {
  return status === 0 || status === 401 || status === 429 || status >= 500;
}

async function sendChunk(records) {
  const answer = await call("POST", "/api/scans/batch", { scans: records.map((r) => r.payload) });
  const byId = new Map(records.map((r) => [r.client_id, r]));
  for (const item of answer.items) {
    const record = byId.get(item.client_id);
    if (!record) continue;
    if (item.ok) {
      Object.assign(record, { state: "done", result: item.result, error: null });
    } else if (retryLater(item.status)) {
      record.error = item.error;
    } else {
      Object.assign(record, { state: "failed", error: item.error });
    }
    await save(record);
  }
}

async function flushOnce(userId) {
  if (!navigator.onLine) return { sent: false };
  const waiting = await pending(userId);
  for (let i = 0; i < waiting.length; i += CHUNK) {
    try {
      await sendChunk(waiting.slice(i, i + CHUNK));
    } catch (error) {
      if (error instanceof ApiError && retryLater(error.status)) return { sent: false, error };
      throw error;
    }
  }
  return { sent: waiting.length > 0 };
}

// One flush at a time in this page; across tabs a Web Lock when the browser has one.
export function flush(userId) {
  if (!running) {
    const work = () => flushOnce(userId);
    const locked = navigator.locks ? navigator.locks.request("gendan-m-flush", work) : work();
    running = locked.finally(() => {
      running = null;
    });
  }
  return running;
}
