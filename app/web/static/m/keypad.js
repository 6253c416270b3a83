// A big-key number pad for gloved hands: digits, a decimal point and delete.
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", ".", "0", "⌫"];

export function keypad(container, output) {
  let value = "";
  const show = () => {
    output.value = value;
    output.textContent = value || "—";
  };
  container.replaceChildren(
    ...KEYS.map((key) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = key;
      button.dataset.key = key;
      button.setAttribute("aria-label", key === "⌫" ? "删除" : key);
      return button;
    }),
  );
  container.addEventListener("click", (event) => {
    const key = event.target.dataset && event.target.dataset.key;
    if (!key) return;
    if (key === "⌫") value = value.slice(0, -1);
    else if (key === "." && (value.includes(".") || !value)) return;
    else if (value.length < 12) value = value === "0" && key !== "." ? key : value + key;
    show();
  });
  show();
  return {
    get: () => value,
    reset: () => {
      value = "";
      show();
    },
  };
}
