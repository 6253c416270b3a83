// The simulated in-app browser: who the OAuth page / requestAuthCode sign in, what the JS-SDK
// scanner reads (POST /admin/inapp).
"use strict";

(function () {
  const el = (id) => document.getElementById(id);

  async function fillUsers() {
    const config = await (await fetch("/admin/config")).json();
    for (const user of config.users || []) {
      const option = document.createElement("option");
      option.value = user.userid;
      option.textContent = `${user.name || user.userid}（${user.userid}）`;
      el("inapp-user").append(option);
    }
  }

  el("inapp-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      platform: el("inapp-platform").value,
      user: el("inapp-user").value,
      scan: el("inapp-scan").value.trim(),
    };
    const response = await fetch("/admin/inapp", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    el("inapp-status").textContent = response.ok
      ? `已设置：用户 ${answer.user || "（授权页选择）"}，扫码结果 ${answer.scan || "（无：取消）"}`
      : answer.error;
  });

  // The phone frame: /m/ in a phone-sized window, told which app's browser it plays.
  el("inapp-phone").addEventListener("click", async () => {
    const gendan = await (await fetch("/admin/gendan")).json();
    const platform = el("inapp-platform").value;
    const frame = window.open(
      `${gendan.url}/m/?app=${encodeURIComponent(platform)}`,
      "gendan-phone",
      "popup,width=390,height=844",
    );
    el("inapp-status").textContent = frame ? "已在手机框中打开 /m/" : "浏览器拦截了弹出窗口";
  });

  fillUsers();
})();
