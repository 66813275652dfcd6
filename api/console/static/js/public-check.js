/* "Check this receipt" (核验回执), done entirely by the browser from the public endpoints:
   1. the receipt's Ed25519 signature, by a key the ledger publishes (GET /v1/ledger/keys),
      over b"auxledger/receipt/v1\n" + the canonical JSON of its other fields;
   2. the RFC 9162 inclusion proof of the intake's leaf in the tree of the latest checkpoint
      (POST /v1/complaints/track, the code in the body: never in a URL), with SHA-256 from
      Web Crypto;
   3. the checkpoint's C2SP signed-note signature, by a published key.
   Ed25519 comes from Web Crypto where the browser has it, else from the vendored, audited
   @noble/ed25519 (static/vendor/noble-ed25519/), loaded only then. README.md, "Checking a
   complaint receipt from the outside", is the same check in Python. */

const RECEIPT_PREFIX = "auxledger/receipt/v1\n";
const NOBLE = "/static/vendor/noble-ed25519/index.js";
const encoder = new TextEncoder();

class CheckFailed extends Error {}

const EMPTY_FILE = "文件为空，请选择提交投诉时下载的回执文件（文件名形如“投诉回执-2026-11-20.json”）。";
const NOTHING_TO_CHECK = "还没有回执内容：请选择回执文件，或把回执的全部内容粘贴到上面的框里。";

/* Strict: only the canonical encoding (atob would also take other spellings of the same
   bytes, so a changed character in, say, a signature's last digit could go unnoticed). */
function fromBase64(text) {
  let binary;
  try {
    binary = atob(text);
  } catch (error) {
    throw new CheckFailed("不是 Base64 数据");
  }
  if (btoa(binary) !== text) throw new CheckFailed("Base64 数据不规范");
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function fromHex(text) {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new CheckFailed("不是十六进制数据");
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/* Python's json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False). */
function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }
  return JSON.stringify(value);
}

async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
}

/* RFC 8032 test 1's public key: importing it tells whether Web Crypto has Ed25519. */
const PROBE_KEY = fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
let webCryptoEd25519 = null;

async function hasWebCryptoEd25519() {
  if (webCryptoEd25519 === null) {
    try {
      await crypto.subtle.importKey("raw", PROBE_KEY, { name: "Ed25519" }, false, ["verify"]);
      webCryptoEd25519 = true;
    } catch (error) {
      webCryptoEd25519 = false;
    }
  }
  return webCryptoEd25519;
}

async function ed25519Verify(publicKey, signature, message) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (await hasWebCryptoEd25519()) {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
      "verify",
    ]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }
  const noble = await import(NOBLE);
  try {
    return await noble.verifyAsync(signature, message, publicKey);
  } catch (error) {
    return false;
  }
}

/* A C2SP vkey: <name>+<8 hex digits of key id>+<base64(0x01 || 32-byte Ed25519 key)>. */
function parseVkey(vkey) {
  const parts = vkey.split("+");
  if (parts.length < 3) throw new CheckFailed("公布的密钥格式不对");
  const raw = fromBase64(parts.slice(2).join("+"));
  if (raw.length !== 33 || raw[0] !== 0x01) throw new CheckFailed("公布的密钥不是 Ed25519 密钥");
  return { name: parts[0], keyId: parts[1], publicKey: raw.slice(1) };
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  return { status: response.status, body: response.ok ? await response.json() : null };
}

/* A POST of a JSON body, for what must not be in a URL (a tracking code): answered as getJson. */
async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: response.ok ? await response.json() : null };
}

/* RFC 9162 section 2.1.3.2: the root a leaf's inclusion proof leads to. */
async function rootFromProof(leafHash, index, size, hashes) {
  if (!(index >= 0 && index < size)) throw new CheckFailed("登记证明的位置超出日志范围");
  let fn = index;
  let sn = size - 1;
  let node = leafHash;
  for (const sibling of hashes) {
    if (sn === 0) throw new CheckFailed("登记证明多出了节点");
    if (fn % 2 === 1 || fn === sn) {
      node = await sha256(Uint8Array.of(1), sibling, node);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      node = await sha256(Uint8Array.of(1), node, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new CheckFailed("登记证明缺少节点");
  return node;
}

function parseCheckpoint(note) {
  const split = note.indexOf("\n\n");
  if (split < 0) throw new CheckFailed("检查点格式不对");
  const body = note.slice(0, split + 1);
  const lines = body.split("\n");
  const signatures = note
    .slice(split + 2)
    .split("\n")
    .filter((line) => line.startsWith("\u2014 "))
    .map((line) => {
      const rest = line.slice(2);
      const space = rest.lastIndexOf(" ");
      return { name: rest.slice(0, space), blob: fromBase64(rest.slice(space + 1)) };
    });
  return {
    body: encoder.encode(body),
    origin: lines[0],
    size: Number(lines[1]),
    root: fromBase64(lines[2]),
    signatures,
  };
}

async function check(receiptText, report) {
  let receipt;
  try {
    receipt = JSON.parse(receiptText);
  } catch (error) {
    report(false, "回执内容不是完整的回执文件（JSON 格式有误）。请粘贴下载的回执文件的全部内容。");
    return false;
  }
  const fields = ["complaint_id", "tracking_code", "event", "key_id", "recorded_at", "signature"];
  if (typeof receipt !== "object" || receipt === null || !fields.every((f) => f in receipt)) {
    report(false, "回执缺少必要的内容（" + fields.join("、") + "）。");
    return false;
  }
  const keys = await getJson("/v1/ledger/keys");
  if (keys.status !== 200) {
    report(false, "无法取得本系统公布的签名密钥，请稍后再试。");
    return false;
  }
  const published = new Map();
  for (const key of keys.body) published.set(key.key_id, { ...parseVkey(key.vkey), status: key.status });
  let ok = true;

  // 1. The receipt's signature.
  const signer = published.get(receipt.key_id);
  const { signature, ...signed } = receipt;
  let how = "";
  if (!signer) {
    report(false, "回执签名：签名密钥 " + receipt.key_id + " 不是本系统公布的密钥。不再继续核验。");
    return false;
  } else {
    const message = encoder.encode(RECEIPT_PREFIX + canonical(signed));
    let valid = false;
    try {
      valid = await ed25519Verify(signer.publicKey, fromBase64(String(signature)), message);
    } catch (error) {
      valid = false;
    }
    how = (await hasWebCryptoEd25519()) ? "浏览器内置的 Ed25519" : "随页面提供的 noble-ed25519";
    if (!valid) {
      report(false, "回执签名：签名与回执内容不符，回执被改动过或不是本系统出具的。不再继续核验。");
      return false;
    } else if (signer.status === "revoked") {
      report(false, "回执签名：签名有效，但签名密钥已被吊销。");
      ok = false;
    } else {
      report(true, "回执签名：有效，出自本系统公布的密钥 " + receipt.key_id + "（用" + how + "核验）。");
    }
  }

  // 2. The intake's leaf is in the tree of the latest checkpoint.
  const code = String(receipt.tracking_code);
  // The code in the body, never in the URL: an access log keeps URLs.
  const track = await postJson("/v1/complaints/track", { tracking_code: code });
  if (track.status !== 200) {
    report(false, "登记证明：查询码对应的投诉不存在，回执可能被改动过。");
    return false;
  }
  const proof = track.body.inclusion;
  if (!proof) {
    report(false, "登记证明：这次投诉还没有进入最新的签名检查点，请稍等一会儿再核验。");
    return false;
  }
  let root = null;
  try {
    const leafHash = fromHex(String(receipt.event && receipt.event.leaf_hash));
    if (proof.leaf_hash !== receipt.event.leaf_hash) {
      throw new CheckFailed("日志中登记的记录与回执上的记录不一致");
    }
    root = await rootFromProof(leafHash, proof.leaf_index, proof.tree_size, proof.hashes.map(fromBase64));
  } catch (error) {
    const why = error instanceof CheckFailed ? error.message : "登记证明的数据有误";
    report(false, "登记证明：" + why + "。");
    return false;
  }

  // 3. The checkpoint names that root and is signed by a published key.
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(proof.checkpoint);
  } catch (error) {
    report(false, "检查点：格式不对。");
    return false;
  }
  if (checkpoint.size !== proof.tree_size || !equal(checkpoint.root, root)) {
    report(false, "登记证明：由证明算出的日志根与签名检查点不一致。");
    return false;
  }
  report(
    true,
    // leaf_index counts from 0; a reader counts entries from 1 (the first is 第 1 条).
    "登记证明：有效，这次投诉是日志第 " + (proof.leaf_index + 1) + " 条（共 " + proof.tree_size + " 条）。"
  );
  let signedBy = null;
  for (const line of checkpoint.signatures) {
    const key = published.get(toHex(line.blob.slice(0, 4)));
    if (!key || key.name !== line.name || line.blob.length !== 68) continue;
    if (await ed25519Verify(key.publicKey, line.blob.slice(4), checkpoint.body)) {
      signedBy = key;
      break;
    }
  }
  if (signedBy === null) {
    report(false, "检查点签名：没有本系统公布的密钥的有效签名。");
    return false;
  }
  report(true, "检查点签名：有效，日志 " + checkpoint.origin + " 的检查点由密钥 " + signedBy.keyId + " 签名。");
  return ok;
}

function start() {
  const button = document.getElementById("check-receipt");
  const input = document.getElementById("receipt-text");
  const status = document.getElementById("check-status");
  const steps = document.getElementById("check-steps");
  if (!button || !input || !status || !steps) return;
  const file = document.getElementById("receipt-file");
  // The box holds what an empty file gave: told as such, not as text that is not JSON.
  let fromEmptyFile = false;
  if (file) {
    file.addEventListener("change", async () => {
      const chosen = file.files && file.files[0];
      if (!chosen) return;
      input.value = await chosen.text();
      fromEmptyFile = !input.value.trim();
      steps.replaceChildren();
      status.className = fromEmptyFile ? "check-status bad" : "check-status";
      status.textContent = fromEmptyFile ? EMPTY_FILE : "已读入回执文件，请点“核验回执”。";
    });
  }
  input.addEventListener("input", () => {
    fromEmptyFile = false;
  });
  button.addEventListener("click", async () => {
    button.disabled = true;
    steps.replaceChildren();
    status.className = "check-status";
    status.textContent = "正在核验……";
    const report = (passed, text) => {
      const item = document.createElement("li");
      item.className = passed ? "ok" : "bad";
      item.textContent = (passed ? "✔ " : "✘ ") + text;
      steps.append(item);
    };
    let passed = false;
    try {
      if (!input.value.trim()) {
        report(false, fromEmptyFile ? EMPTY_FILE : NOTHING_TO_CHECK);
      } else {
        passed = await check(input.value, report);
      }
    } catch (error) {
      report(false, "核验没有完成：无法连接服务器或数据有误，请稍后再试。");
    }
    status.className = "check-status " + (passed ? "ok" : "bad");
    status.textContent = passed
      ? "核验通过：回执签名、登记证明和检查点签名都有效。"
      : "核验未通过：见下面的说明。";
    button.disabled = false;
  });
}

start();
