// /m/ 我的待办: the warnings waiting for my 确认收到, the issues I own that are past due, what my
// orders plan to finish today, and my orders' shortages (GET /api/me/todo).
import { call } from "./api.js";
import { button, el, failure, when } from "./fieldkit.js";

function section(title, items, render, empty) {
  const box = el("section", "todo-part");
  const head = el("h2", null, title);
  const count = el("span", "badge", String(items.length));
  count.dataset.count = String(items.length);
  head.append(" ", count);
  box.append(head);
  if (!items.length) {
    box.append(el("p", "hint", empty));
    return box;
  }
  const list = el("ul", "todo-list");
  for (const item of items) list.append(render(item, () => drop(box, count)));
  box.append(list);
  return box;
}

// An item done: off the list, one fewer in the count.
function drop(box, count) {
  const left = box.querySelectorAll(".todo-item").length;
  count.textContent = String(left);
  count.dataset.count = String(left);
  if (!left) box.querySelector(".todo-list").replaceWith(el("p", "hint", "已全部处理"));
}

function alertItem(alert, onDone) {
  const item = el("li", `todo-item alert ${alert.level}`);
  item.dataset.alert = String(alert.id);
  const head = el("p", "issue-head");
  head.append(
    el("b", null, `${alert.ref} ${alert.order_code}`),
    el("span", `risk-tag ${alert.level}`, alert.level_name),
    el("span", "hint", alert.rule_name),
  );
  const error = el("p", "error");
  error.hidden = true;
  const ack = button("确认收到", "primary", async () => {
    ack.disabled = true;
    error.hidden = true;
    try {
      await call("POST", `/api/alerts/${alert.id}/ack`);
      item.remove();
      onDone();
    } catch (failed) {
      error.textContent = failure(failed);
      error.hidden = false;
      ack.disabled = false;
    }
  });
  item.append(head, el("p", null, alert.message), el("p", "hint", `自 ${when(alert.since)}`), ack, error);
  return item;
}

function issueItem(issue) {
  const item = el("li", "todo-item issue");
  const head = el("p", "issue-head");
  head.append(
    el("b", null, `#${issue.id} ${issue.order_code}`),
    el("span", `risk-tag ${issue.risk}`, issue.risk_name),
    el("span", "state-tag", issue.state_name),
    el("span", "late-tag", "超期"),
  );
  const go = el("a", "go", "去处理");
  go.href = "#issues/mine";
  item.append(head, el("p", null, issue.description), el("p", "hint", `期限 ${when(issue.due_at)}`), go);
  return item;
}

function milestoneItem(m) {
  const item = el("li", "todo-item milestone");
  const head = el("p", "issue-head");
  head.append(
    el("b", null, m.order_code),
    el("span", null, `${m.kind === "stage" ? "阶段" : "工序"}：${m.name}`),
    el("span", "state-tag", m.status_name),
  );
  const bar = el("progress");
  bar.max = 100;
  bar.value = m.progress;
  item.append(head, el("p", "hint", `今日到期 · 已完成 ${m.progress}%`), bar);
  return item;
}

function shortageItem(s) {
  const item = el("li", `todo-item shortage${s.is_key ? " key" : ""}`);
  const head = el("p", "issue-head");
  head.append(el("b", null, s.order_code), el("span", null, s.material_name));
  if (s.is_key) head.append(el("span", "risk-tag high", "关键"));
  if (s.escalated) head.append(el("span", "late-tag", "已超期"));
  const days = s.days_left >= 0 ? `还有 ${s.days_left} 天` : `已过 ${-s.days_left} 天`;
  item.append(
    head,
    el("p", null, `缺 ${s.short}${s.unit}（已收 ${s.received}/${s.needed}）`),
    el("p", "hint", `需求日 ${s.need_date}，${days}`),
  );
  return item;
}

export async function enter(root) {
  root.replaceChildren(el("p", "hint", "正在加载…"));
  let todo;
  try {
    todo = await call("GET", "/api/me/todo");
  } catch (error) {
    root.replaceChildren(el("p", "error", failure(error)));
    throw error;
  }
  root.replaceChildren(
    el("p", "hint", `今天 ${todo.day}`),
    section("待确认预警", todo.alerts, alertItem, "没有待确认的预警"),
    section("超期问题", todo.overdue_issues, issueItem, "没有超期的问题点"),
    section("今日节点", todo.milestones, milestoneItem, "今天没有到期的阶段或工序"),
    section("缺料", todo.shortages, shortageItem, "我的订单没有缺料"),
  );
}
