// One WebSocket to /v1/stream for the page; frames are handed to the listener as parsed JSON.
export class Stream {
  #socket = null;

  constructor(onFrame, onClose) {
    this.onFrame = onFrame;
    this.onClose = onClose;
  }

  connect() {
    if (this.#socket && this.#socket.readyState === WebSocket.OPEN) return Promise.resolve(this.#socket);
    return new Promise((resolve, reject) => {
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/stream";
      const ws = new WebSocket(url);
      ws.onopen = () => { this.#socket = ws; resolve(ws); };
      ws.onerror = () => reject(new Error("cannot connect to " + url));
      ws.onclose = e => { this.#socket = null; this.onClose(e.reason); };
      ws.onmessage = e => this.onFrame(JSON.parse(e.data));
    });
  }

  async send(frame) {
    (await this.connect()).send(JSON.stringify(frame));
  }
}
