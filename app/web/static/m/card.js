// The result card after a scan: what was received, for which order, what is still missing.
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

// A refusal in words, with the one action that resolves it when there is one:
// confirm an over-receipt, or choose the order when several need the material.
export function showError(card, error, { onConfirmOver, onChooseOrder } = {}) {
  const parts = [el("p", "message error", error.message)];
  const details = error.details || {};
  if (error.code === "over_receipt" && onConfirmOver) {
    const button = el("button", "primary", "确认超收");
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

const STATES = { pending: "待上传", done: "已入库", failed: "未入库" };

export function scanItem(record, onOpen) {
  const item = el("li", `scan ${record.state}`);
  item.dataset.state = record.state;
  item.dataset.clientId = record.client_id;
  const qty = record.payload.quantity == null ? "" : ` × ${record.payload.quantity}`;
  const material = record.result && record.result.material;
  const what = material ? `${material.name}（${material.code}）` : record.payload.result;
  item.append(el("span", "code", `${what}${qty}`), el("span", "state", STATES[record.state]));
  const note = record.state === "done" ? record.result && record.result.message : record.error && record.error.message;
  if (note) item.append(el("span", "note", note));
  item.addEventListener("click", () => onOpen(record));
  return item;
}
