// Small DOM and formatting helpers of the 报问题 and 待办 screens.
import { ApiError, session } from "./api.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function button(text, className, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  if (onClick) node.addEventListener("click", onClick);
  return node;
}

// A time of the API (UTC, ISO) as the business day and hour: "12-05 18:00".
export function when(iso) {
  if (!iso) return "";
  const parts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(iso));
  const part = (type) => (parts.find((p) => p.type === type) || {}).value || "";
  return `${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
}

export function me() {
  const saved = session();
  return saved ? saved.user : null;
}

// What to show for a failure: the API's Chinese message, or a plain one.
export function failure(error) {
  if (error instanceof ApiError) return error.message;
  console.warn(error);
  return "操作失败，请重试";
}

// A photo of the API (which needs the bearer token) into an <img> through a blob URL.
export async function showPhoto(img, url) {
  const saved = session();
  try {
    const response = await fetch(url, {
      headers: saved ? { Authorization: `Bearer ${saved.token}` } : {},
      credentials: "omit",
    });
    if (!response.ok) return;
    img.src = URL.createObjectURL(await response.blob());
  } catch (error) {
    console.warn("photo not shown", error);
  }
}
