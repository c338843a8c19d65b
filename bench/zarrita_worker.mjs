#!/usr/bin/env node
// zarrita_worker.mjs: the zarrita (JavaScript) side of B3, B4 and B7, one
// measurement per process.
//
//   zarrita_worker.mjs walk STORE consolidated|plain   open + walk all metadata
//   zarrita_worker.mjs read STORE VAR                  whole array, zarr.get
//   zarrita_worker.mjs write STORE RAW SHAPE CHUNKS    the uint16 values of RAW
//                                                      (C order), Zarr v3, zstd-1
//
// Prints `open_s=... walk_s=... groups= vars= attrs=`, `open_s=... read_s=...
// sum=...` or `write_s=... sum=...` like the C programs; times are inside the
// process, after the imports. The walk without consolidated metadata goes
// down the store's folders as a browser of a directory store must (zarrita
// has no listing of its own for them) and stops at arrays; with it,
// withConsolidatedMetadata and its contents(). zarrita cannot write sharded
// arrays ("set on sharded arrays" is unsupported), so write makes plain
// chunks. zarrita is found as tools/lib/dump_zarr3.mjs finds it:
// ${XDG_CACHE_HOME:-$HOME/.cache}/libdtree-interop/node_modules.
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

function nodeModules() {
  const cache = process.env.XDG_CACHE_HOME || path.join(process.env.HOME || "", ".cache");
  return path.join(cache, "libdtree-interop", "node_modules");
}

async function importPackage(pkg, sub = ".") {
  const dir = path.join(nodeModules(), pkg);
  const pj = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  let e = pj.exports?.[sub];
  if (e && typeof e === "object") e = e.import ?? e.default;
  if (!e) e = sub === "." ? (pj.module ?? pj.main) : sub;
  return (await import(pathToFileURL(path.join(dir, e)).href));
}

const zarr = await importPackage("zarrita");
const FileSystemStore = (await importPackage("@zarrita/storage", "./fs")).default;
const now = () => performance.now() / 1000;

function touchNode(n, node) {
  n.attrs += Object.keys(node.attrs ?? {}).length;
  if (node instanceof zarr.Array) {
    n.vars++;
    n.touched += node.shape.length + node.chunks.length + String(node.dtype).length;
    n.touched += JSON.stringify(node.codecs ?? []).length;
  } else {
    n.groups++;
  }
}

async function walk(store, mode) {
  const n = { groups: 0, vars: 0, attrs: 0, touched: 0 };
  const t0 = now();
  let t1;
  if (mode === "consolidated") {
    const s = await zarr.withConsolidatedMetadata(new FileSystemStore(store));
    const top = zarr.root(s);
    t1 = now();
    for (const { path: p, kind } of s.contents()) {
      touchNode(n, await zarr.open(top.resolve(p), { kind }));
    }
  } else {
    const top = zarr.root(new FileSystemStore(store));
    const root = await zarr.open(top, { kind: "group" });
    t1 = now();
    touchNode(n, root);
    // down the folders, children in name order; an array ends a branch
    const todo = [""];
    while (todo.length) {
      const rel = todo.pop();
      const names = fs.readdirSync(path.join(store, rel), { withFileTypes: true })
        .filter((d) => d.isDirectory()).map((d) => d.name).sort();
      for (const name of names) {
        const p = rel ? rel + "/" + name : name;
        let node;
        try {
          node = await zarr.open(top.resolve(p));
        } catch (e) {
          continue; // not a node
        }
        touchNode(n, node);
        if (!(node instanceof zarr.Array)) todo.push(p);
      }
    }
  }
  const t2 = now();
  console.log(`open_s=${(t1 - t0).toFixed(6)} walk_s=${(t2 - t1).toFixed(6)} ` +
              `groups=${n.groups} vars=${n.vars} attrs=${n.attrs} touched=${n.touched}`);
}

function total(data) {
  let s = 0n, part = 0;
  for (let i = 0; i < data.length; i++) {
    part += data[i];
    if (part > 2 ** 52) { s += BigInt(part); part = 0; }
  }
  return s + BigInt(part);
}

async function read(store, variable) {
  const t0 = now();
  const top = zarr.root(new FileSystemStore(store));
  const arr = await zarr.open(top.resolve(variable.replace(/^\/+/, "")), { kind: "array" });
  const t1 = now();
  const got = await zarr.get(arr);
  const t2 = now();
  console.log(`open_s=${(t1 - t0).toFixed(6)} read_s=${(t2 - t1).toFixed(6)} ` +
              `sum=${total(got.data)}`);
}

async function write(store, raw, shapeText, chunksText) {
  const shape = shapeText.split("x").map(Number);
  const chunks = chunksText.split("x").map(Number);
  const buf = fs.readFileSync(raw);
  const data = new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2);
  const t0 = now();
  const top = zarr.root(new FileSystemStore(store));
  await zarr.create(top, { attributes: {} });
  const arr = await zarr.create(top.resolve("data"), {
    shape, chunkShape: chunks, dtype: "uint16", fillValue: 0,
    dimensionNames: ["z", "y", "x"],
    codecs: [{ name: "bytes", configuration: { endian: "little" } },
             { name: "zstd", configuration: { level: 1, checksum: false } }],
  });
  await zarr.set(arr, null, { data, shape, stride: strides(shape) });
  const t1 = now();
  console.log(`write_s=${(t1 - t0).toFixed(6)} sum=${total(data)}`);
}

function strides(shape) {
  const s = new Array(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = k; k *= shape[i]; }
  return s;
}

const [op, ...args] = process.argv.slice(2);
if (op === "walk") await walk(args[0], args[1]);
else if (op === "read") await read(args[0], args[1]);
else if (op === "write") await write(args[0], args[1], args[2], args[3]);
else { console.error("zarrita_worker: unknown operation " + op); process.exit(2); }
