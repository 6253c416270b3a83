// Photos taken for an issue or its fix: shrunk on the phone (long side 2560 px, JPEG, the
// camera's EXIF orientation applied), each uploaded with a progress bar and a 重试 when it fails.
//
// Nothing is stored twice: a photo keeps the bytes it was shrunk to, and the server files a
// picture by the digest of what it received, so a retry of a photo that did reach the server
// (the answer was lost) gives back the same photo.
import { ApiError, session } from "./api.js";
import { button, el } from "./fieldkit.js";

export const LONG_SIDE = 2560;
const QUALITY = 0.85;

// The picture drawn upright and no larger than LONG_SIDE, as JPEG; the file itself when this
// browser cannot decode it (the server then says whether it can).
export async function shrink(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (error) {
    console.warn("cannot decode on the phone, sending as is", error);
    return file;
  }
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  canvas.width = canvas.height = 0; // let the phone free the pixels now
  return blob || file;
}

// POST one photo to an order with upload progress (0..1); resolves to the photo's public form.
export function upload(orderId, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/orders/${orderId}/photos`);
    const saved = session();
    if (saved) xhr.setRequestHeader("Authorization", `Bearer ${saved.token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      const data = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300 && data && data.id) return resolve(data);
      const error = (data && data.error) || {};
      reject(
        new ApiError(
          xhr.status,
          error.code || "http_error",
          error.message || `上传失败（${xhr.status}），请重试`,
          error.details,
        ),
      );
    };
    xhr.onerror = () => reject(new ApiError(0, "offline", "网络不可用，请重试"));
    xhr.ontimeout = xhr.onerror;
    const form = new FormData();
    form.append("file", blob, "photo.jpg");
    xhr.send(form);
  });
}

let serial = 0;

export class PhotoTray {
  // root: an element to fill; label: the button's words; onChange: called when any photo's
  // state changes (to enable the form's submit).
  constructor(root, { label = "拍照 / 选照片", onChange = () => {} } = {}) {
    this.items = [];
    this.orderId = null;
    this.onChange = onChange;
    this.input = el("input", "photo-input");
    this.input.type = "file";
    this.input.accept = "image/*";
    this.input.setAttribute("capture", "environment");
    this.input.multiple = true;
    const id = `photo-input-${++serial}`;
    this.input.id = id;
    const pick = el("label", "photo-pick", label);
    pick.htmlFor = id;
    this.list = el("ul", "photos");
    root.replaceChildren(this.input, pick, this.list);
    // Photos that failed for want of a network go again by themselves when it returns.
    window.addEventListener("online", () => {
      for (const item of this.items) {
        if (item.state === "failed" && item.offline && this.list.isConnected) this.send(item);
      }
    });
    this.input.addEventListener("change", () => {
      const files = Array.from(this.input.files || []);
      this.input.value = "";
      for (const file of files) this.add(file);
    });
  }

  // Photos belong to an order: a new order sends the shrunk pictures again, to it.
  setOrder(orderId) {
    if (orderId === this.orderId) return;
    this.orderId = orderId;
    for (const item of this.items) {
      if (item.blob) {
        item.photo = null;
        this.send(item);
      }
    }
  }

  async add(file) {
    const item = { key: ++serial, blob: null, state: "resizing", progress: 0, photo: null };
    item.node = el("li", "photo");
    this.items.push(item);
    this.list.append(item.node);
    this.render(item);
    try {
      item.blob = await shrink(file);
    } catch (error) {
      console.warn("shrink failed", error);
      item.blob = file;
    }
    item.preview = URL.createObjectURL(item.blob);
    await this.send(item);
  }

  async send(item) {
    if (!this.orderId) {
      item.state = "waiting";
      return this.render(item);
    }
    const orderId = this.orderId;
    item.state = "uploading";
    item.progress = 0;
    item.error = null;
    this.render(item);
    try {
      const photo = await upload(orderId, item.blob, (share) => {
        item.progress = share;
        this.render(item);
      });
      if (orderId !== this.orderId || !this.items.includes(item)) return;
      item.photo = photo;
      item.state = "done";
    } catch (error) {
      if (orderId !== this.orderId || !this.items.includes(item)) return;
      item.state = "failed";
      item.offline = error instanceof ApiError && error.status === 0;
      item.error = error instanceof ApiError ? error.message : "上传失败，请重试";
    }
    this.render(item);
  }

  remove(item) {
    this.items = this.items.filter((i) => i !== item);
    item.node.remove();
    if (item.preview) URL.revokeObjectURL(item.preview);
    this.onChange();
  }

  render(item) {
    const parts = [];
    if (item.preview) {
      const img = el("img", "thumb");
      img.src = item.preview;
      img.alt = "照片";
      parts.push(img);
    }
    const side = el("div", "photo-side");
    const bar = el("progress");
    bar.max = 100;
    bar.value = Math.round(item.progress * 100);
    const words = {
      resizing: "正在压缩…",
      waiting: "选择订单后上传",
      uploading: `上传中 ${Math.round(item.progress * 100)}%`,
      done: "已上传",
      failed: `上传失败：${item.error || ""}`,
    }[item.state];
    side.append(el("span", `photo-state ${item.state}`, words));
    if (item.state === "uploading" || item.state === "done") side.append(bar);
    const actions = el("div", "photo-actions");
    if (item.state === "failed") actions.append(button("重试", "primary", () => this.send(item)));
    if (item.state !== "uploading") actions.append(button("移除", null, () => this.remove(item)));
    side.append(actions);
    parts.push(side);
    item.node.className = `photo ${item.state}`;
    item.node.replaceChildren(...parts);
    this.onChange();
  }

  ids() {
    return this.items.filter((i) => i.state === "done").map((i) => i.photo.id);
  }

  busy() {
    return this.items.some((i) => ["resizing", "uploading", "waiting"].includes(i.state));
  }

  failed() {
    return this.items.filter((i) => i.state === "failed").length;
  }

  clear() {
    for (const item of this.items) if (item.preview) URL.revokeObjectURL(item.preview);
    this.items = [];
    this.list.replaceChildren();
    this.onChange();
  }
}
