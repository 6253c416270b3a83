// /m/ 日报: one form per open order of the signed-in person (今日完成, 明日计划, 问题, 工时 and
// 点工 rows), drafts kept on the phone per user, order and day, and for trackers who has not
// reported today with a 提醒 button. Everything goes through the daily report API:
// GET /api/daily-reports/desk, POST /api/orders/<id>/daily-reports (a second submission of the
// same day updates the report), POST /api/orders/<id>/daily-reports/remind.
import { ApiError, call, session } from "./api.js";

const DRAFT_PREFIX = "gendan.m.report";
const FIELDS = { done_today: "今日完成", plan_tomorrow: "明日计划", problems: "问题", hours: "工时" };
const ROLE_NAMES = {
  site_engineer: "现场工程师",
  production: "生产",
  tracker: "跟单员",
  sales: "销售",
  engineering: "技术",
  buyer: "采购",
  warehouse: "仓库",
  quality: "质检",
  logistics: "物流",
  manager: "管理层",
  admin: "管理员",
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(text, className, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

// Drafts: localStorage, one per user, order and (business) day; the day comes from the server.
function draftKey(userId, orderId, day) {
  return `${DRAFT_PREFIX}.${userId}.${orderId}.${day}`;
}

function loadDraft(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch (error) {
    return null;
  }
}

// The API's field names in the worker's words: "labour.1.hours" -> 第 2 行点工工时.
function fieldName(loc) {
  const labour = /^labour\.(\d+)\.(worker|hours|work)$/.exec(loc);
  if (labour) {
    const part = { worker: "姓名", hours: "工时", work: "工作内容" }[labour[2]];
    return `第 ${Number(labour[1]) + 1} 行点工${part}`;
  }
  return FIELDS[loc] || (loc === "labour" ? "点工" : loc);
}

function refusal(error) {
  if (!(error instanceof ApiError)) return "提交失败，请重试";
  if (error.status === 0) return "网络不可用：草稿已保存在手机上，联网后再提交";
  if (error.code === "validation_error") {
    return error.message
      .split("；")
      .map((part) => {
        const at = part.indexOf("：");
        return at > 0 ? `${fieldName(part.slice(0, at))}：${part.slice(at + 1)}` : part;
      })
      .join("；");
  }
  return error.message;
}

function labourRow(list, worker = "", hours = "") {
  const row = el("div", "rp-labour-row");
  const name = el("input");
  name.name = "worker";
  name.placeholder = "点工姓名";
  name.setAttribute("aria-label", "点工姓名");
  name.maxLength = 64;
  name.value = worker;
  const time = el("input");
  time.name = "labour_hours";
  time.type = "number";
  time.inputMode = "decimal";
  time.min = "0";
  time.max = "24";
  time.step = "0.5";
  time.placeholder = "工时";
  time.setAttribute("aria-label", "点工工时");
  time.value = hours === null || hours === undefined ? "" : String(hours);
  const remove = button("删除", "rp-remove", () => {
    row.remove();
    list.dispatchEvent(new Event("input", { bubbles: true }));
  });
  remove.setAttribute("aria-label", "删除这一行点工");
  row.append(name, time, remove);
  list.append(row);
  return row;
}

function area(name, label, rows) {
  const wrap = el("label", "rp-field");
  wrap.append(el("span", null, label));
  const input = el("textarea");
  input.name = name;
  input.rows = rows;
  input.maxLength = 2000;
  wrap.append(input);
  return wrap;
}

// What the form holds now, as a draft (strings, as typed).
function formState(form) {
  return {
    done_today: form.done_today.value,
    plan_tomorrow: form.plan_tomorrow.value,
    problems: form.problems.value,
    hours: form.hours.value,
    labour: [...form.querySelectorAll(".rp-labour-row")].map((row) => ({
      worker: row.querySelector("[name=worker]").value,
      hours: row.querySelector("[name=labour_hours]").value,
    })),
  };
}

function fill(form, list, state) {
  form.done_today.value = state.done_today || "";
  form.plan_tomorrow.value = state.plan_tomorrow || "";
  form.problems.value = state.problems || "";
  form.hours.value = state.hours === null || state.hours === undefined ? "" : String(state.hours);
  list.replaceChildren();
  for (const line of state.labour || []) labourRow(list, line.worker, line.hours);
}

// The body the API takes, or a message saying what to fix first.
function payload(state, day) {
  if (!state.done_today.trim()) return { problem: "请填写今日完成" };
  const labour = [];
  for (const [i, line] of state.labour.entries()) {
    const worker = line.worker.trim();
    const hours = String(line.hours).trim();
    if (!worker && !hours) continue;
    if (!worker || !hours) return { problem: `第 ${i + 1} 行点工请填写姓名和工时` };
    labour.push({ worker, hours: Number(hours) });
  }
  const hours = String(state.hours).trim();
  return {
    body: {
      day,
      done_today: state.done_today.trim(),
      plan_tomorrow: state.plan_tomorrow.trim(),
      problems: state.problems.trim(),
      hours: hours ? Number(hours) : null,
      labour,
    },
  };
}

function reportForm(item, day, me, onSaved) {
  const key = draftKey(me.user.id, item.order_id, day);
  const form = el("form", "rp-form stack");
  form.noValidate = true;
  const note = el("p", "hint rp-note");
  const hoursLabel = el("label", "rp-field");
  const hours = el("input");
  hours.name = "hours";
  hours.type = "number";
  hours.inputMode = "decimal";
  hours.min = "0";
  hours.max = "24";
  hours.step = "0.5";
  hoursLabel.append(el("span", null, "本人工时（小时）"), hours);
  const list = el("div", "rp-labour");
  const labourBox = el("fieldset", "rp-labour-box");
  labourBox.append(
    el("legend", null, "点工"),
    list,
    button("添加点工", "rp-add", () => labourRow(list).querySelector("input").focus()),
  );
  const error = el("p", "error rp-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  const submit = el("button", "primary big", item.report ? "更新日报" : "提交日报");
  submit.type = "submit";
  form.append(
    note,
    area("done_today", "今日完成", 3),
    area("plan_tomorrow", "明日计划", 2),
    area("problems", "问题", 2),
    hoursLabel,
    labourBox,
    error,
    submit,
  );

  const draft = loadDraft(key);
  if (draft) {
    fill(form, list, draft);
    note.textContent = "已恢复未提交的草稿";
  } else if (item.report) {
    fill(form, list, item.report);
    note.textContent = "今日日报已提交，可修改后再次提交";
  } else if (item.yesterday && item.yesterday.plan_tomorrow) {
    fill(form, list, { done_today: item.yesterday.plan_tomorrow });
    note.textContent = "今日完成已按昨日日报的明日计划预填，请按实际修改";
  } else {
    fill(form, list, {});
  }
  note.hidden = !note.textContent;

  form.addEventListener("input", () => {
    localStorage.setItem(key, JSON.stringify(formState(form)));
    note.textContent = "草稿已保存在手机上";
    note.hidden = false;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { body, problem } = payload(formState(form), day);
    error.hidden = true;
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    try {
      const saved = await call("POST", `/api/orders/${item.order_id}/daily-reports`, body);
      localStorage.removeItem(key);
      onSaved(saved);
    } catch (failure) {
      error.textContent = refusal(failure);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function missingList(item, me) {
  const box = el("div", "rp-missing");
  box.append(el("h3", null, `今日未交日报（${item.missing.length}）`));
  const list = el("ul", "rp-missing-list");
  for (const member of item.missing) {
    const row = el("li");
    row.dataset.userId = String(member.user.id);
    const status = el("span", "rp-remind-status hint");
    const remind = button("提醒", "rp-remind", async () => {
      remind.disabled = true;
      try {
        const out = await call("POST", `/api/orders/${item.order_id}/daily-reports/remind`, {
          user_id: member.user.id,
        });
        remind.textContent = "已提醒";
        status.textContent = `已发到 ${out.sent_to.join("、")}`;
      } catch (failure) {
        status.textContent = refusal(failure);
        if (failure instanceof ApiError && failure.code === "already_reminded") {
          remind.textContent = "已提醒";
        } else {
          remind.disabled = false;
        }
      }
    });
    remind.setAttribute("aria-label", `提醒${member.user.display_name}`);
    const mine = member.user.id === me.user.id;
    const role = ROLE_NAMES[member.role] || member.role;
    const name = `${member.user.display_name}（${role}${mine ? "，我" : ""}）`;
    row.append(el("span", "rp-who", name));
    if (!mine) row.append(remind, status);
    list.append(row);
  }
  box.append(list);
  return box;
}

function orderCard(item, day, me) {
  const card = el("article", "rp-order");
  card.dataset.orderId = String(item.order_id);
  const head = el("button", "rp-head");
  head.type = "button";
  head.setAttribute("aria-expanded", "false");
  const state = el("span", "rp-state");
  const setState = () => {
    state.textContent = item.report ? "今日已提交" : "今日未提交";
    state.classList.toggle("done", Boolean(item.report));
  };
  setState();
  head.append(el("b", "rp-code", item.order_code), el("span", "rp-customer", item.customer), state);
  const body = el("div", "rp-body");
  body.hidden = true;
  const done = el("p", "message ok rp-done");
  done.setAttribute("role", "status");
  done.hidden = true;
  const render = () => {
    body.replaceChildren(
      done,
      reportForm(item, day, me, (saved) => {
        const verb = item.report ? "已更新" : "已提交";
        item.report = saved;
        setState();
        render();
        done.textContent = `${saved.day} 的日报${verb}`;
        done.hidden = false;
      }),
    );
  };
  head.addEventListener("click", () => {
    const open = body.hidden;
    if (open && !body.childElementCount) render();
    body.hidden = !open;
    head.setAttribute("aria-expanded", String(open));
  });
  card.append(head);
  // Before the form: a tracker between meetings sees at once whom to remind.
  if (item.can_remind && item.missing.length) card.append(missingList(item, me));
  card.append(body);
  return card;
}

export async function enter(root) {
  const me = session();
  root.replaceChildren(el("p", "hint", "加载中…"));
  let desk;
  try {
    desk = await call("GET", "/api/daily-reports/desk");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    root.replaceChildren(el("p", "error", refusal(error)));
    return;
  }
  const intro = el("p", "hint rp-day", `${desk.day} · 每个订单每天一份日报，再次提交会更新当天的日报`);
  if (!desk.items.length) {
    root.replaceChildren(intro, el("p", "hint", "您没有进行中的订单，无需填写日报"));
    return;
  }
  const cards = desk.items.map((item) => orderCard(item, desk.day, me));
  root.replaceChildren(intro, ...cards);
  // One order: its form open at once.
  if (cards.length === 1) cards[0].querySelector(".rp-head").click();
}
