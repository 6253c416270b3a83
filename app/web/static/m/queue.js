// The offline queue: every scan is written to IndexedDB before it is sent, so closing the
// page loses nothing; the server's answer is stored on the same record.
// States: pending (waiting to be sent), done (applied or already applied), failed (refused).
const DB = "gendan-m";
const STORE = "scans";
let opened = null;

function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: "client_id" });
        store.createIndex("created", "created");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

async function run(mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
  });
}

export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function save(record) {
  return run("readwrite", (store) => store.put(record));
}

export async function all(userId) {
  const records = (await run("readonly", (store) => store.index("created").getAll())) || [];
  return records.filter((r) => r.user_id === userId);
}

export async function pending(userId) {
  return (await all(userId)).filter((r) => r.state === "pending");
}

// Keep the newest finished records only; pending and failed ones stay until dealt with.
export async function prune(userId, keep = 50) {
  const done = (await all(userId)).filter((r) => r.state === "done");
  const old = done.slice(0, Math.max(0, done.length - keep));
  if (old.length) await run("readwrite", (store) => old.forEach((r) => store.delete(r.client_id)));
}

export function forget(clientId) {
  return run("readwrite", (store) => store.delete(clientId));
}
