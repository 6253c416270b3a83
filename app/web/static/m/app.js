// Gendan /m/: sign in, 扫码入库 (camera or typed code), the offline queue, and the tabs that
// lead to the other screens (报问题, 日报, 待办), each in its own module.
import { ApiError, dropSession, session } from "./api.js";
import { scanItem, showError, showResult } from "./card.js";
import { keypad } from "./keypad.js";
import { all, forget, newClientId, prune, save } from "./queue.js";
import { actionPicker } from "./scanaction.js";
import { Scanner } from "./scanner.js";
import { platformScanner } from "./platform.js";
import { chatApp, passwordSignIn, platformSignIn } from "./signin.js";
import { flush } from "./sync.js";
import * as issues from "./issues.js";
import * as report from "./report.js";
import * as todo from "./todo.js";

// The screens behind the tabs besides 扫码: `enter(root)` fills the screen each time it is
// shown (root: the section's .screen element).
const SCREENS = { issues, report, todo };
const VIEWS = ["scan", ...Object.keys(SCREENS)];

const $ = (id) => document.getElementById(id);
const body = document.body;
const RETRY_MS = 20000;
let current = null; // the client id of the scan the card shows
let entry = null; // { code, scanType } while the quantity is being entered
const pad = keypad($("keypad"), $("qty"));
const scanner = new Scanner($("video"), $("camera-status"), body.dataset.decoder);
// 入库 / 领料 / 盘点: the action of the next scans, with the screen's words.
const action = actionPicker($("scan-action"), (name, words) => {
  $("scan-title").textContent = words.title;
  $("entry-ok").textContent = words.confirm;
  $("qty-hint").textContent = words.hint;
});

function show(view) {
  for (const name of ["signin", ...VIEWS]) $(name).hidden = name !== view;
  const me = session();
  $("who").textContent = me ? me.user.display_name || me.user.username : "";
  $("signout").hidden = !me;
  $("tabs").hidden = !me;
  for (const tab of $("tabs").querySelectorAll("a")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  const screen = SCREENS[view];
  if (screen && me) {
    screen.enter($(view).querySelector(".screen")).catch((error) => {
      if (error instanceof ApiError && error.status === 401) signedOut();
      else console.warn(`${view} failed`, error);
    });
  }
}

// The signed-in view the address asks for (#issues, #report, ...), else 扫码.
function wanted() {
  const name = location.hash.replace(/^#\/?/, "").split("/")[0];
  return VIEWS.includes(name) ? name : "scan";
}

// The token expired or was revoked: sign in again; the queue waits in IndexedDB meanwhile.
function signedOut() {
  dropSession();
  show("signin");
  $("signin-error").textContent = "登录已过期，请重新登录；未上传的扫码不会丢失";
  $("signin-error").hidden = false;
  // Inside a chat app its own sign-in runs again (the page may go to its authorize page).
  if (chatApp()) {
    platformSignIn().then((done) => {
      if (!done) return;
      show(wanted());
      sync();
    });
  }
}

function showNetwork() {
  const online = navigator.onLine;
  $("net").textContent = online ? "在线" : "离线";
  $("net").className = online ? "net online" : "net offline";
}

async function refresh() {
  const me = session();
  if (!me) return;
  const records = await all(me.user.id);
  const waiting = records.filter((r) => r.state === "pending").length;
  $("pending").textContent = `待上传 ${waiting}`;
  $("pending").dataset.count = String(waiting);
  $("scans").replaceChildren(...records.slice().reverse().map((r) => scanItem(r, openRecord)));
  const shown = records.find((r) => r.client_id === current);
  if (shown) openRecord(shown);
}

function openRecord(record) {
  current = record.client_id;
  const card = $("card");
  if (record.state === "done") {
    showResult(card, record.result);
  } else if (record.state === "failed") {
    showError(card, record.error, {
      onConfirmOver: () => resubmit(record, { confirm_over: true }),
      onChooseOrder: (orderId) => resubmit(record, { order_id: orderId }),
    });
  } else {
    card.className = "card waiting";
    card.textContent = navigator.onLine
      ? `已保存：${record.payload.result}，正在上传…`
      : `已保存：${record.payload.result}，联网后自动上传`;
    card.hidden = false;
  }
}

async function sync() {
  const me = session();
  if (!me) return;
  try {
    const outcome = await flush(me.user.id);
    if (outcome.error && outcome.error.status === 401) return signedOut();
  } catch (error) {
    console.warn("sync failed", error);
  }
  if (!session()) return;
  await refresh();
  await prune(me.user.id);
}

// A refused scan counted nothing: it goes again under a new client id with the worker's choice.
async function resubmit(record, change) {
  const clientId = newClientId();
  const next = {
    ...record,
    client_id: clientId,
    state: "pending",
    error: null,
    payload: { ...record.payload, ...change, client_id: clientId },
  };
  await save(next);
  await forget(record.client_id);
  current = clientId;
  await refresh();
  await sync();
}

function openEntry(code, scanType) {
  entry = { code, scanType };
  $("entry-code").textContent = code;
  pad.reset();
  $("entry").hidden = false;
  $("card").hidden = true;
}

async function confirmEntry() {
  const me = session();
  if (!entry || !me) return;
  // Taken off the screen at once: the next code can be typed while this one is stored.
  const { code, scanType } = entry;
  const quantity = pad.get();
  entry = null;
  $("entry").hidden = true;
  $("code").value = "";
  const clientId = newClientId();
  current = clientId;
  await save({
    client_id: clientId,
    user_id: me.user.id,
    created: Date.now(),
    state: "pending",
    result: null,
    error: null,
    payload: {
      client_id: clientId,
      result: code,
      scan_type: scanType,
      action: action.get(),
      quantity: quantity ? quantity : null,
      scanned_at: new Date().toISOString(),
    },
  });
  await refresh();
  await sync();
}

function wire() {
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const error = $("signin-error");
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      error.textContent = "请输入用户名和密码";
      error.hidden = false;
      return;
    }
    try {
      await passwordSignIn(username, password);
      error.hidden = true;
      form.reset();
      show(wanted());
      await sync();
    } catch (failure) {
      error.textContent = failure instanceof ApiError ? failure.message : "登录失败，请重试";
      error.hidden = false;
    }
  });
  $("signout").addEventListener("click", () => {
    dropSession();
    show("signin");
  });
  $("manual").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    if (!code) {
      $("code").focus();
      return;
    }
    openEntry(code, null);
  });
  $("entry-ok").addEventListener("click", confirmEntry);
  $("entry-cancel").addEventListener("click", () => {
    entry = null;
    $("entry").hidden = true;
  });
  $("camera-start").addEventListener("click", async () => {
    // Inside a chat app its own scanner (JS-SDK), else the camera in the page.
    const platform = await platformScanner(chatApp());
    if (platform) {
      try {
        const read = await platform();
        if (read && read.code) openEntry(read.code, read.scanType);
      } catch (error) {
        $("camera-status").textContent = error.message;
      }
      return;
    }
    $("camera").hidden = false;
    try {
      await scanner.start((code, scanType) => {
        $("camera").hidden = true;
        openEntry(code, scanType);
      });
    } catch (error) {
      scanner.stop();
      $("camera-status").textContent = error.message;
    }
  });
  $("camera-stop").addEventListener("click", () => {
    scanner.stop();
    $("camera").hidden = true;
  });
  $("retry").addEventListener("click", sync);
  window.addEventListener("hashchange", () => {
    if (session()) show(wanted());
  });
  window.addEventListener("online", () => {
    showNetwork();
    sync();
  });
  window.addEventListener("offline", showNetwork);
  setInterval(sync, RETRY_MS);
}

async function start() {
  if ("serviceWorker" in navigator) {
    // body[data-offline-ready] once the service worker serves this page: usable offline.
    const ready = () => {
      if (navigator.serviceWorker.controller) body.dataset.offlineReady = "1";
    };
    navigator.serviceWorker.addEventListener("controllerchange", ready);
    ready();
    navigator.serviceWorker
      .register(body.dataset.sw, { scope: body.dataset.scope })
      .catch((error) => console.warn("service worker not registered", error));
    // Loaded while the worker was activating (or past it, by a hard reload): not controlled,
    // so not usable offline. Once a worker is active, such a page asks it to take over.
    navigator.serviceWorker.ready.then((registration) => {
      if (!navigator.serviceWorker.controller && registration.active) {
        registration.active.postMessage("claim");
      }
    });
  }
  wire();
  showNetwork();
  if (!session()) await platformSignIn();
  if (!session()) {
    show("signin");
    return;
  }
  show(wanted());
  await refresh();
  await sync();
}

start();
