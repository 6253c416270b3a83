// What a scan does: 入库 (receive), 领料 (issue) or 盘点 (stock_check), chosen with segmented
// buttons above the scanner. The choice travels in each queued scan's payload (`action`), so a
// scan made offline is applied as what it was when it was made. Each opening of the app starts at
// 入库: a 盘点 left selected from yesterday would overwrite book stock with a receipt's quantity.

export const ACTIONS = {
  receive: {
    label: "入库",
    title: "扫码入库",
    confirm: "确认入库",
    hint: "标签带数量时可不填",
    done: "已入库",
    failed: "未入库",
  },
  issue: {
    label: "领料",
    title: "扫码领料",
    confirm: "确认领料",
    hint: "领用数量；标签带数量时可不填",
    done: "已领料",
    failed: "未领料",
  },
  stock_check: {
    label: "盘点",
    title: "扫码盘点",
    confirm: "确认盘点",
    hint: "填实盘数量（可为 0）；不填只查看当前库存",
    done: "已盘点",
    failed: "未盘点",
  },
};

export function actionOf(name) {
  return ACTIONS[name] || ACTIONS.receive;
}

// Wire the segmented buttons (each with data-action); `onChange(name, words)` on every choice.
export function actionPicker(container, onChange) {
  let current = "receive";
  const buttons = [...container.querySelectorAll("[data-action]")];
  const choose = (name) => {
    current = name;
    for (const b of buttons) b.setAttribute("aria-checked", String(b.dataset.action === name));
    onChange(name, ACTIONS[name]);
  };
  for (const b of buttons) b.addEventListener("click", () => choose(b.dataset.action));
  choose(current);
  return { get: () => current };
}
