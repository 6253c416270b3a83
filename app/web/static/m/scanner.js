// Camera scanning in the page: the vendored barcode-detector ponyfill (ZXing in WebAssembly),
// loaded on the first scan only, reads frames from the back camera.
const FORMATS = ["ean_13", "ean_8", "upc_a", "code_128", "code_39", "qr_code", "data_matrix"];
let detector = null;

async function loadDetector(base) {
  if (!detector) {
    const lib = await import(`${base}ponyfill.js`);
    lib.prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? `${base}${path}` : prefix + path),
      },
      fireImmediately: true,
    });
    detector = new lib.BarcodeDetector({ formats: FORMATS });
  }
  return detector;
}

// "ean_13" -> "EAN_13": the code types as the chat apps' scanners name them.
function scanType(format) {
  return format ? format.toUpperCase() : null;
}

export class Scanner {
  constructor(video, status, base) {
    this.video = video;
    this.status = status;
    this.base = base;
    this.stream = null;
    this.timer = null;
  }

  async start(onCode) {
    this.status.textContent = "正在打开相机…";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("此浏览器无法使用相机，请手动输入编码");
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch (error) {
      throw new Error("无法打开相机（未授权或无相机），请手动输入编码");
    }
    this.video.srcObject = this.stream;
    await this.video.play();
    this.status.textContent = "正在加载识别组件…";
    const found = await loadDetector(this.base);
    this.status.textContent = "请将条码/二维码对准取景框";
    const tick = async () => {
      if (!this.stream) return;
      try {
        const codes = this.video.readyState >= 2 ? await found.detect(this.video) : [];
        if (codes.length && this.stream) {
          this.stop();
          onCode(codes[0].rawValue, scanType(codes[0].format));
          return;
        }
      } catch (error) {
        console.warn("decode failed", error);
      }
      this.timer = setTimeout(tick, 200);
    };
    tick();
  }

  stop() {
    clearTimeout(this.timer);
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
  }
}
