// /m/ 拍照报问题、我的问题（收到 / 完成 / 确认）.
// Filled in by its own change; until then the tab says so.
export async function enter(root) {
  root.textContent = "即将上线";
}
