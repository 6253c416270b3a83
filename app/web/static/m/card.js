// The result card after a scan: what was received, issued (领料) or counted (盘点), for which
// order, what is still missing.
import { actionOf } from "./scanaction.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function row(label, value, className) {
  const line = el("p", className);
  line.append(el("span", "label", label), el("b", null, value));
  return line;
}

export function showResult(card, result) {
  const m = result.material;
  const unit = m.unit;
  const parts = [
    el("p", "message ok", result.message),
    row("物料", `${m.name}（${m.code}）${m.spec ? ` ${m.spec}` : ""}`),
  ];
  if (result.order) parts.push(row("订单", result.order.code));
  if (result.action === "stock_check") return countRows(card, result, parts);
  if (result.action === "issue") return issueRows(card, result, parts);
  if (result.quantity != null) parts.push(row("本次", `${result.quantity}${unit}`));
  if (result.needed != null) parts.push(row("已收/需要", `${result.received}/${result.needed}${unit}`));
  if (result.missing != null) {
    const done = Number(result.missing) <= 0;
    parts.push(row("还缺", done ? "已收齐" : `${result.missing}${unit}`, done ? "done" : "short"));
  }
  const keys = result.key_materials;
  if (keys) {
    const text = keys.all_complete ? `已全部到齐（${keys.total} 项）` : `${keys.complete}/${keys.total} 项到齐`;
    parts.push(row("关键物料", text, keys.all_complete ? "done" : "short"));
  }
  if (result.duplicate) parts.push(el("p", "hint", "此扫码已处理过，未重复计数"));
  card.className = "card result";
  card.replaceChildren(...parts);
  card.hidden = false;
}

function finish(card, result, parts) {
  if (result.duplicate) parts.push(el("p", "hint", "此扫码已处理过，未重复计数"));
  card.className = "card result";
  card.replaceChildren(...parts);
  card.hidden = false;
}

// 领料: how much this time, issued of what the order needs, the stock left.
function issueRows(card, result, parts) {
  const unit = result.material.unit;
  if (result.quantity != null) parts.push(row("本次领料", `${result.quantity}${unit}`));
  if (result.needed != null) parts.push(row("已发/需要", `${result.issued}/${result.needed}${unit}`));
  parts.push(row("库存", `${result.stock}${unit}`));
  finish(card, result, parts);
}

// 盘点: the counted stock against the book stock before, and the difference.
function countRows(card, result, parts) {
  const unit = result.material.unit;
  if (result.quantity == null) {
    parts.push(row("当前库存", `${result.stock}${unit}`));
    return finish(card, result, parts);
  }
  parts.push(row("实盘", `${result.stock}${unit}`), row("账面", `${result.stock_before}${unit}`));
  const diff = Math.round((Number(result.stock) - Number(result.stock_before)) * 1e6) / 1e6;
  const words = diff === 0 ? "一致" : `${diff > 0 ? "盘盈" : "盘亏"} ${Math.abs(diff)}${unit}`;
  parts.push(row("差异", words, diff === 0 ? "done" : "short"));
  finish(card, result, parts);
}

// A refusal in words, with the one action that resolves it when there is one:
// confirm an over-receipt, or choose the order when several need the material.
export function showError(card, error, { onConfirmOver, onChooseOrder } = {}) {
  const parts = [el("p", "message error", error.message)];
  const details = error.details || {};
  const over = { over_receipt: "确认超收", over_issue: "确认超发" }[error.code];
  if (over && onConfirmOver) {
    const button = el("button", "primary", over);
    button.type = "button";
    button.addEventListener("click", onConfirmOver);
    parts.push(button);
  }
  if (error.code === "ambiguous_order" && onChooseOrder && Array.isArray(details.choices)) {
    parts.push(el("p", "hint", "请选择订单："));
    for (const choice of details.choices) {
      const button = el("button", "choice", `${choice.order_code}（缺 ${choice.missing}，需 ${choice.need_date}）`);
      button.type = "button";
      button.addEventListener("click", () => onChooseOrder(choice.order_id));
      parts.push(button);
    }
  }
  card.className = "card refused";
  card.replaceChildren(...parts);
  card.hidden = false;
}


export function scanItem(record, onOpen) {
  const item = el("li", `scan ${record.state}`);
  item.dataset.state = record.state;
  item.dataset.clientId = record.client_id;
  const qty = record.payload.quantity == null ? "" : ` × ${record.payload.quantity}`;
  const material = record.result && record.result.material;
  const what = material ? `${material.name}（${material.code}）` : record.payload.result;
  const words = actionOf(record.payload.action);
  const state = { pending: "待上传", done: words.done, failed: words.failed }[record.state];
  item.append(el("span", "code", `${words.label} ${what}${qty}`), el("span", "state", state));
  const note = record.state === "done" ? record.result && record.result.message : record.error && record.error.message;
  if (note) item.append(el("span", "note", note));
  item.addEventListener("click", () => onOpen(record));
  return item;
}
