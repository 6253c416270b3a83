// The REST API with the bearer token this phone keeps (the same tokens as any API client).
const KEY = "gendan.m.session";

// The kept sign-in. Its expiry is the server's to judge (a 401), not the phone's clock's.
export function session() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "null");
    if (saved && saved.token && saved.user) return saved;
  } catch (error) {
    console.warn("stored session unreadable", error);
  }
  return null;
}

export function keepSession(token) {
  localStorage.setItem(KEY, JSON.stringify(token));
}

export function dropSession() {
  localStorage.removeItem(KEY);
}

// A refusal from the API, with the envelope's Chinese message; `status` 0 is no network.
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || null;
  }
}

export async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  const saved = session();
  if (saved) headers.Authorization = `Bearer ${saved.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
  } catch (error) {
    throw new ApiError(0, "offline", "网络不可用，稍后自动重试");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(
      response.status,
      error.code || "http_error",
      error.message || `服务器暂时无法处理（${response.status}），稍后自动重试`,
      error.details,
    );
  }
  return data;
}
