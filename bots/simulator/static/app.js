// Chat simulator page: polls the admin API, renders chats, delivers typed messages.
"use strict";

const PLATFORMS = { wechat: "微信", wecom: "企业微信", dingtalk: "钉钉" };
const state = { conversations: [], users: [], messages: [], lastSeq: 0, current: null, seen: {} };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const options = { method, headers: { "Content-Type": "application/json" } };
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch("/admin/" + path, options);
  return response.json();
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function userName(id) {
  const user = state.users.find((u) => u.userid === id || u.openid === id);
  return user ? user.name || user.userid : id;
}

// A small, safe subset of markdown: headings, bold, links, lists, <@userid> mentions.
function markdown(text) {
  return escapeHtml(text).split("\n").map((line) => {
    let html = line
      .replace(/\*\*(.+?)\*\*/g, "<b>$1</b>")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>')
      .replace(/&lt;@([\w.-]+)&gt;/g, (_, id) => `<span class="mention">@${escapeHtml(userName(id))}</span>`)
      .replace(/(^|\s)@([\w.-]+)/g, (_, pre, id) => `${pre}<span class="mention">@${escapeHtml(userName(id))}</span>`);
    if (/^#{1,6}\s/.test(line)) return `<span class="h">${html.replace(/^#+\s/, "")}</span>`;
    if (/^\s*[-*]\s/.test(line)) html = "• " + html.replace(/^\s*[-*]\s/, "");
    return html;
  }).join("<br>");
}

function buttons(list) {
  if (!list || !list.length) return "";
  return '<div class="buttons">' + list.map((b) =>
    `<a href="${escapeHtml(b.url)}" target="_blank" rel="noopener">${escapeHtml(b.title)}</a>`).join("") + "</div>";
}

function body(message) {
  const p = message.payload || {};
  const type = message.msgtype;
  const part = p[type] || {};
  if (type === "text" || type === "stream") return markdown(part.content || "");
  // A markdown title only shows in the conversation list, not in the message itself.
  if (type === "markdown") return markdown(part.text || part.content || "");
  if (type === "event") return `<span class="title">菜单事件</span>${escapeHtml(part.content || part.Event || "")}`;
  if (type === "image" && part.base64) return `<img alt="图片" src="data:image/*;base64,${part.base64}">`;
  if (type === "actionCard" || type === "action_card") {
    const single = part.singleURL || part.single_url;
    const list = single ? [{ title: part.singleTitle || part.single_title, url: single }]
      : (part.btns || part.btn_json_list || []).map((b) => ({ title: b.title, url: b.actionURL || b.action_url }));
    return `<span class="title">${escapeHtml(part.title || "")}</span>` + markdown(part.text || part.markdown || "") + buttons(list);
  }
  if (type === "subscribe") {
    const rows = Object.entries(p.data || {}).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v.value)}</dd>`);
    return `<span class="title">订阅消息 ${escapeHtml(p.template_id || "")}</span><dl>${rows.join("")}</dl>`;
  }
  return `<pre>${escapeHtml(JSON.stringify(p, null, 2))}</pre>`;
}

function renderConversations() {
  const nav = $("conversations");
  nav.innerHTML = "";
  for (const [platform, label] of Object.entries(PLATFORMS)) {
    const rows = state.conversations.filter((c) => c.platform === platform);
    if (!rows.length) continue;
    nav.insertAdjacentHTML("beforeend", `<h3>${label}</h3>`);
    for (const c of rows) {
      const count = state.messages.filter((m) => m.conversation === c.id).length;
      const unread = count - (state.seen[c.id] || 0);
      const a = document.createElement("a");
      a.href = "#" + encodeURIComponent(c.id);
      a.className = state.current === c.id ? "active" : "";
      a.innerHTML = `${escapeHtml(c.title)} <span class="type">${c.type === "group" ? "群聊" : "单聊"}</span>` +
        (unread > 0 && state.current !== c.id ? `<span class="badge">${unread}</span>` : "");
      a.onclick = (event) => {
        event.preventDefault();
        history.replaceState(null, "", a.href);
        select(c.id);
      };
      nav.appendChild(a);
    }
  }
}

function renderMessages() {
  const list = $("messages");
  const rows = state.messages.filter((m) => m.conversation === state.current);
  state.seen[state.current] = rows.length;
  list.innerHTML = rows.map((m) => {
    const who = m.direction === "to_gendan" ? escapeHtml(m.sender || "") : m.direction === "system" ? "" : "跟单系统";
    const time = new Date(m.at * 1000).toLocaleTimeString("zh-CN");
    const note = m.delivered === false ? "（未送达：同一内容一天只送一次）" : "";
    const cls = m.direction + (m.delivered === false ? " undelivered" : "");
    return `<li class="${cls}"><span class="meta">${who} ${time} ${escapeHtml(m.api || "")}${note}</span>` +
      `<div class="bubble">${body(m)}</div></li>`;
  }).join("");
  list.scrollTop = list.scrollHeight;
}

function select(id) {
  state.current = id;
  const c = state.conversations.find((x) => x.id === id);
  $("chat-title").textContent = c ? `${PLATFORMS[c.platform]} · ${c.title}` : id;
  const form = $("composer");
  form.hidden = !(c && c.can_type);
  // WeChat official accounts and WeCom apps have a menu; DingTalk robots do not.
  $("app-menu").hidden = !(c && c.type === "private" && c.platform !== "dingtalk");
  const select = $("user");
  select.innerHTML = state.users.map((u) => `<option value="${escapeHtml(u.userid)}">${escapeHtml(u.name || u.userid)}</option>`).join("");
  select.disabled = Boolean(c && c.user);
  if (c && c.user) select.value = c.user;
  renderConversations();
  renderMessages();
}

async function refresh() {
  try {
    const fresh = await api("GET", "messages?after=" + state.lastSeq);
    if (fresh.length) {
      state.messages.push(...fresh);
      state.lastSeq = fresh[fresh.length - 1].seq;
      renderMessages();
      renderConversations();
    }
  } catch (error) {
    $("status").textContent = "无法连接模拟器：" + error;
  }
}

async function loadConfig() {
  state.conversations = await api("GET", "conversations");
  state.users = (await api("GET", "config")).users;
  renderConversations();
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!state.current) {
    $("status").textContent = "请先在左侧选择会话";
    return;
  }
  if (!text) return;
  $("text").value = "";
  $("status").textContent = "发送中…";
  const result = await api("POST", "say", { conversation: state.current, user: $("user").value, text });
  const sent = result.transport === "stream" ? "已通过 Stream 连接推送（等待确认）"
    : result.transport === "long_connection" ? "已通过长连接推送（等待回复）" : "";
  $("status").textContent = result.ok ? sent : "投递失败：" + (result.error || "HTTP " + result.status);
  await refresh();
}

async function sendPicture() {
  const file = $("picture").files[0];
  $("picture").value = "";
  if (!file || !state.current) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  $("status").textContent = "发送图片中…";
  const result = await api("POST", "say", { conversation: state.current, user: $("user").value, image: btoa(binary) });
  $("status").textContent = result.ok ? "" : "投递失败：" + (result.error || "HTTP " + result.status);
  await refresh();
}

async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function menuResult(result) {
  $("status").textContent = result.ok ? "" : "投递失败：" + (result.error || "HTTP " + result.status);
  return refresh();
}

async function scanCode() {
  if (!state.current) return;
  const code = prompt("输入扫到的内容，例如 EAN_13,6901234567892，或二维码文字：");
  if (!code || !code.trim()) return;
  $("status").textContent = "扫码中…";
  const body = { conversation: state.current, user: $("user").value, key: $("scan-key").value, code: code.trim() };
  await menuResult(await api("POST", "scan", body));
}

async function scanImage() {
  const file = $("scan-image").files[0];
  $("scan-image").value = "";
  if (!file || !state.current) return;
  $("status").textContent = "识别图片中的条码…";
  const body = { conversation: state.current, user: $("user").value, key: $("scan-key").value, image: await base64Of(file) };
  await menuResult(await api("POST", "scan", body));
}

async function photoIssue() {
  const files = Array.from($("photo-issue").files);
  $("photo-issue").value = "";
  if (!files.length || !state.current) return;
  $("status").textContent = "发送照片中…";
  const images = await Promise.all(files.map(base64Of));
  await menuResult(await api("POST", "photo", { conversation: state.current, user: $("user").value, key: "photo_issue", images }));
}

async function verify(platform) {
  const result = await api("POST", "verify/" + platform);
  $("status").textContent = `${PLATFORMS[platform]}回调校验：` + (result.ok ? "通过" : "失败 " + (result.error || result.body || result.status));
}

$("composer").addEventListener("submit", send);
$("picture").addEventListener("change", sendPicture);
$("scan-code").addEventListener("click", scanCode);
$("scan-image").addEventListener("change", scanImage);
$("photo-issue").addEventListener("change", photoIssue);
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) send(event);
});
for (const platform of Object.keys(PLATFORMS)) {
  $("verify-" + platform).onclick = () => verify(platform);
}
$("reset").onclick = async () => {
  await api("POST", "reset", {});
  Object.assign(state, { messages: [], lastSeq: 0, seen: {} });
  renderMessages();
  renderConversations();
};

loadConfig().then(() => {
  if (location.hash.length > 1) select(decodeURIComponent(location.hash.slice(1)));
  return refresh();
});
setInterval(refresh, 1500);
setInterval(loadConfig, 10000);
