// /m/ 报问题: photos first (shrunk and uploaded while the form is filled), then order,
// description, risk and owner; and 我的问题, the issues I own or raised, with the steps the API
// allows me: 收到 and 完成 (with photos) for the owner, 确认 or 退回 for the one who raised it.
// The server decides; a refusal is shown in its words under the issue.
import { call } from "./api.js";
import { button, el, failure, me, showPhoto, when } from "./fieldkit.js";
import { PhotoTray } from "./phototray.js";

const RISKS = [
  ["high", "高"],
  ["medium", "中"],
  ["low", "低"],
];
const CLOSED = new Set(["completed", "cancelled"]);
// Besides the one who raised it, these roles check a fix (the API says the last word).
const VERIFIERS = new Set(["tracker", "quality", "site_engineer", "admin"]);

let ui = null; // the screen's parts, built once

function field(label, control) {
  const wrap = el("label", "field", label);
  wrap.append(control);
  return wrap;
}

// A titled box for controls that are not one input (the photo tray, the risk buttons).
function group(title, control) {
  const wrap = el("div", "field");
  wrap.append(el("span", "field-title", title), control);
  return wrap;
}

function build(root) {
  const tabs = el("div", "segments");
  const newTab = button("报问题", "segment", () => switchTo("new"));
  const mineTab = button("我的问题", "segment", () => switchTo("mine"));
  newTab.dataset.part = "new";
  mineTab.dataset.part = "mine";
  tabs.append(newTab, mineTab);

  const form = el("form", "issue-form stack");
  form.noValidate = true;
  const photos = el("div", "tray");
  const order = el("select");
  order.name = "order";
  const description = el("textarea");
  description.name = "description";
  description.rows = 3;
  description.maxLength = 2000;
  description.placeholder = "例如：2 号基础螺栓孔位偏差 5mm";
  const location = el("input");
  location.name = "location";
  location.maxLength = 200;
  location.placeholder = "例如：2 号机组东侧";
  const risks = el("div", "risks");
  risks.setAttribute("role", "radiogroup");
  risks.setAttribute("aria-label", "风险等级");
  for (const [value, name] of RISKS) {
    const option = el("label", `risk ${value}`);
    const radio = el("input");
    radio.type = "radio";
    radio.name = "risk";
    radio.value = value;
    if (value === "medium") radio.checked = true;
    option.append(radio, el("span", null, name));
    risks.append(option);
  }
  const owner = el("select");
  owner.name = "owner";
  const error = el("p", "error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  const submit = el("button", "primary big", "提交问题");
  submit.type = "submit";
  const done = el("div", "card result");
  done.hidden = true;
  form.append(
    group("现场照片", photos),
    field("订单", order),
    field("问题描述", description),
    field("位置（可选）", location),
    group("风险等级", risks),
    field("责任人", owner),
    error,
    submit,
  );
  const list = el("div", "issue-list");
  root.replaceChildren(tabs, done, form, list);
  const tray = new PhotoTray(photos, { onChange: () => refreshSubmit() });
  ui = { root, tabs, form, order, description, location, owner, error, submit, done, list, tray };
  ui.part = "new";
  order.addEventListener("change", () => chooseOrder(Number(order.value) || null));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    createIssue();
  });
}

function refreshSubmit() {
  if (!ui) return;
  const { tray, submit } = ui;
  submit.disabled = tray.busy();
  submit.textContent = tray.busy() ? "照片上传中…" : "提交问题";
}

function switchTo(part) {
  ui.part = part;
  // The address keeps the part (a reload comes back to it) without entering the screen again.
  const hash = part === "mine" ? "#issues/mine" : "#issues";
  if (location.hash.startsWith("#issues") && location.hash !== hash) {
    history.replaceState(null, "", hash);
  }
  for (const tab of ui.tabs.children) {
    if (tab.dataset.part === part) tab.setAttribute("aria-current", "true");
    else tab.removeAttribute("aria-current");
  }
  ui.form.hidden = part !== "new";
  ui.list.hidden = part !== "mine";
  if (part !== "new") ui.done.hidden = true;
  if (part === "mine") loadMine();
}

async function loadOrders() {
  const previous = Number(ui.order.value) || null;
  const data = await call("GET", "/api/orders?per_page=200");
  const open = data.items.filter((o) => !CLOSED.has(o.status));
  ui.order.replaceChildren(
    ...open.map((o) => {
      const option = el("option", null, `${o.code} ${o.customer || ""}`.trim());
      option.value = String(o.id);
      return option;
    }),
  );
  if (!open.length) {
    ui.order.append(el("option", null, "没有可报问题的订单"));
    ui.order.disabled = true;
    return chooseOrder(null);
  }
  ui.order.disabled = false;
  const keep = open.find((o) => o.id === previous);
  ui.order.value = String(keep ? keep.id : open[0].id);
  // Coming back to the screen keeps the owner chosen for the same order.
  if (!keep) await chooseOrder(Number(ui.order.value));
}

let asked = 0; // the latest order whose members are being fetched

async function chooseOrder(orderId) {
  ui.tray.setOrder(orderId);
  const ask = ++asked;
  const first = el("option", null, "默认：本单跟单员");
  first.value = "";
  ui.owner.replaceChildren(first);
  if (!orderId) return;
  try {
    const data = await call("GET", `/api/orders/${orderId}/members`);
    if (ask !== asked) return; // another order was chosen meanwhile
    const seen = new Set();
    const options = [first];
    for (const member of data.items) {
      if (seen.has(member.user.id)) continue;
      seen.add(member.user.id);
      const option = el("option", null, member.user.display_name);
      option.value = String(member.user.id);
      options.push(option);
    }
    ui.owner.replaceChildren(...options);
  } catch (error) {
    console.warn("members not loaded", error);
  }
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

async function createIssue() {
  const { tray, form } = ui;
  const orderId = Number(ui.order.value) || null;
  const description = ui.description.value.trim();
  if (!orderId) return showError("请选择订单");
  if (!description) {
    ui.description.focus();
    return showError("请填写问题描述");
  }
  if (tray.busy()) return showError("照片还在上传，请稍候");
  if (tray.failed()) return showError("有照片未上传成功，请点「重试」或移除后再提交");
  const body = {
    description,
    risk: form.risk.value,
    location: ui.location.value.trim(),
    photo_ids: tray.ids(),
  };
  if (ui.owner.value) body.owner_id = Number(ui.owner.value);
  ui.submit.disabled = true;
  try {
    const issue = await call("POST", `/api/orders/${orderId}/issues`, body);
    showError("");
    tray.clear();
    ui.description.value = "";
    ui.location.value = "";
    ui.done.replaceChildren(
      el("p", "message ok", `已提交问题点 #${issue.id}`),
      el("p", null, `${issue.order_code} · 责任人 ${issue.owner.display_name} · 期限 ${when(issue.due_at)}`),
      button("查看我的问题", "link", () => switchTo("mine")),
    );
    ui.done.hidden = false;
    ui.done.scrollIntoView({ block: "nearest" });
  } catch (error) {
    showError(failure(error));
  } finally {
    refreshSubmit();
  }
}

async function loadMine() {
  try {
    const data = await call("GET", "/api/issues?mine=true&per_page=50");
    if (!data.items.length) {
      ui.list.replaceChildren(el("p", "hint", "没有我负责或我提出的问题点"));
      return;
    }
    ui.list.replaceChildren(...data.items.map(issueCard));
  } catch (error) {
    ui.list.replaceChildren(el("p", "error", failure(error)));
  }
}

function photoStrip(photos) {
  const strip = el("div", "strip");
  for (const photo of photos) {
    const img = el("img", "thumb");
    img.alt = "照片";
    showPhoto(img, photo.thumb_url);
    strip.append(img);
  }
  return strip;
}

// One issue with the steps I may take; each step's answer redraws it.
function issueCard(issue) {
  const user = me();
  const card = el("article", `card issue ${issue.state}`);
  card.dataset.issue = String(issue.id);
  const head = el("p", "issue-head");
  head.append(
    el("b", null, `#${issue.id} ${issue.order_code}`),
    el("span", `risk-tag ${issue.risk}`, issue.risk_name),
    el("span", "state-tag", issue.state_name),
  );
  if (issue.overdue) head.append(el("span", "late-tag", "超期"));
  const parts = [head, el("p", "issue-text", issue.description)];
  if (issue.location) parts.push(el("p", "hint", `位置：${issue.location}`));
  parts.push(
    el(
      "p",
      "hint",
      `责任人 ${issue.owner.display_name} · 提出 ${issue.created_by ? issue.created_by.display_name : "—"} · 期限 ${when(issue.due_at)}`,
    ),
  );
  if (issue.photos.length) parts.push(photoStrip(issue.photos));
  if (issue.resolution) parts.push(el("p", "resolution", `处理结果：${issue.resolution}`));
  if (issue.resolution_photos.length) parts.push(photoStrip(issue.resolution_photos));
  const error = el("p", "error");
  error.hidden = true;
  const actions = el("div", "issue-actions");
  const extra = el("div", "issue-extra");
  parts.push(actions, extra, error);
  card.replaceChildren(...parts);

  const step = async (path, body) => {
    error.hidden = true;
    for (const b of actions.querySelectorAll("button")) b.disabled = true;
    try {
      const next = await call("POST", `/api/issues/${issue.id}/${path}`, body);
      card.replaceWith(issueCard(next));
    } catch (failed) {
      error.textContent = failure(failed);
      error.hidden = false;
      for (const b of actions.querySelectorAll("button")) b.disabled = false;
    }
  };

  const mineToFix = user && issue.owner.id === user.id;
  const raisedByMe = user && issue.created_by && issue.created_by.id === user.id;
  if (mineToFix && ["open", "reopened"].includes(issue.state)) {
    actions.append(button("收到", "primary", () => step("acknowledge")));
  }
  if (mineToFix && ["open", "in_progress", "reopened"].includes(issue.state)) {
    actions.append(button("完成", null, () => resolveForm(extra, issue, step)));
  }
  const checker = raisedByMe || (user && (user.roles || []).some((r) => VERIFIERS.has(r)));
  const resolvedByMe = user && issue.resolved_by && issue.resolved_by.id === user.id;
  if (issue.state === "resolved" && checker && !resolvedByMe) {
    actions.append(button("确认", "primary", () => step("verify", {})));
    actions.append(button("退回", null, () => reopenForm(extra, step)));
  }
  return card;
}

function resolveForm(extra, issue, step) {
  const text = el("textarea");
  text.rows = 2;
  text.maxLength = 1000;
  text.placeholder = "处理结果，例如：已重新开孔并复测";
  text.setAttribute("aria-label", "处理结果");
  const trayRoot = el("div", "tray");
  const send = button("提交完成", "primary");
  const tray = new PhotoTray(trayRoot, {
    label: "拍照 / 选照片（处理后）",
    onChange: () => {
      send.disabled = tray.busy();
    },
  });
  tray.setOrder(issue.order_id);
  const hint = el("p", "error");
  hint.hidden = true;
  send.addEventListener("click", () => {
    const resolution = text.value.trim();
    hint.hidden = false;
    if (!resolution) return (hint.textContent = "请填写处理结果");
    if (tray.busy()) return (hint.textContent = "照片还在上传，请稍候");
    if (tray.failed()) return (hint.textContent = "有照片未上传成功，请点「重试」或移除");
    hint.hidden = true;
    step("resolve", { resolution, photo_ids: tray.ids() });
  });
  const row = el("div", "row");
  row.append(button("取消", null, () => extra.replaceChildren()), send);
  extra.replaceChildren(field("处理结果", text), trayRoot, hint, row);
  text.focus();
}

function reopenForm(extra, step) {
  const text = el("textarea");
  text.rows = 2;
  text.maxLength = 1000;
  text.placeholder = "退回原因";
  text.setAttribute("aria-label", "退回原因");
  const hint = el("p", "error");
  hint.hidden = true;
  const send = button("确认退回", "primary", () => {
    const reason = text.value.trim();
    if (!reason) {
      hint.textContent = "请填写退回原因";
      hint.hidden = false;
      return;
    }
    step("reopen", { reason });
  });
  const row = el("div", "row");
  row.append(button("取消", null, () => extra.replaceChildren()), send);
  extra.replaceChildren(field("退回原因", text), hint, row);
  text.focus();
}

export async function enter(root) {
  if (!ui || ui.root !== root) build(root);
  const wanted = location.hash.split("/")[1];
  switchTo(wanted === "mine" ? "mine" : ui.part);
  refreshSubmit();
  await loadOrders();
}
