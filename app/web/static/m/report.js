// /m/ 日报表单.
// Filled in by its own change; until then the tab says so.
export async function enter(root) {
  root.textContent = "即将上线";
}
