//! Native throughput of the kernel core, for comparison with the WASM build
//! and the TS reference.
//!
//! usage: native-bench <workload.bin> <kind> <size_ms> <advance_ms> <grace_ms> <emit> <batch_size>
//!
//! The workload file holds a u32 LE record count `n`, then `n` u32 keys,
//! `n` f64 timestamps and `n` f64 values (all LE). Records are copied into
//! the kernel's input columns batch by batch, as the JS side does, with a
//! drain after every batch; the best of three runs (`NATIVE_BENCH_PASSES`)
//! is printed as JSON.

use rivulet_wasm_core::Kernel;
use std::time::Instant;

struct Workload {
    keys: Vec<u32>,
    ts: Vec<f64>,
    values: Vec<f64>,
}

fn load(path: &str) -> Result<Workload, String> {
    let b = std::fs::read(path).map_err(|e| format!("cannot read {}: {}", path, e))?;
    if b.len() < 4 {
        return Err(format!(
            "{}: expected at least 4 bytes, got {}",
            path,
            b.len()
        ));
    }
    let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let want = 4 + n * 20;
    if b.len() != want {
        return Err(format!(
            "{}: expected {} bytes for {} records, got {}",
            path,
            want,
            n,
            b.len()
        ));
    }
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let f64_at = |i: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[i..i + 8]);
        f64::from_le_bytes(a)
    };
    let keys = (0..n).map(|i| u32_at(4 + 4 * i)).collect();
    let ts = (0..n).map(|i| f64_at(4 + 4 * n + 8 * i)).collect();
    let values = (0..n).map(|i| f64_at(4 + 12 * n + 8 * i)).collect();
    Ok(Workload { keys, ts, values })
}

struct Run {
    seconds: f64,
    emitted: u64,
    late: u64,
}

fn run(w: &Workload, spec: &[f64; 5], batch: usize) -> Result<Run, String> {
    let mut k = Kernel::from_raw(
        spec[0] as u32,
        spec[1],
        spec[2],
        spec[3],
        -1.0,
        spec[4] as u32,
        false,
    )
    .map_err(|e| format!("E{}: {}", e.code as u32, e.detail))?;
    k.reserve(batch);
    let n = w.keys.len();
    let mut emitted = 0u64;
    let mut checksum = 0.0f64;
    let start = Instant::now();
    let mut i = 0;
    while i < n {
        let m = batch.min(n - i);
        {
            let inp = k.input();
            inp.keys[..m].copy_from_slice(&w.keys[i..i + m]);
            inp.ts[..m].copy_from_slice(&w.ts[i..i + m]);
            inp.values[..m].copy_from_slice(&w.values[i..i + m]);
        }
        k.ingest(m).map_err(|c| format!("ingest failed: {:?}", c))?;
        let rows = k.drain();
        emitted += rows as u64;
        // Touch the output like a consumer would, so nothing is optimized away.
        if let Some(r) = k.rows().first() {
            checksum += r[3];
        }
        i += m;
    }
    k.advance_stream_time(9_007_199_254_740_992.0)
        .map_err(|c| format!("advance failed: {:?}", c))?;
    emitted += k.drain() as u64;
    let seconds = start.elapsed().as_secs_f64();
    if checksum.is_nan() {
        eprintln!("unexpected NaN");
    }
    Ok(Run {
        seconds,
        emitted,
        late: k.late_records(),
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 8 {
        eprintln!("usage: native-bench <workload.bin> <kind> <size_ms> <advance_ms> <grace_ms> <emit> <batch_size>");
        std::process::exit(2);
    }
    let parse = |i: usize| -> f64 {
        args[i].parse::<f64>().unwrap_or_else(|_| {
            eprintln!("argument {} must be a number, got {:?}", i, args[i]);
            std::process::exit(2)
        })
    };
    let spec = [parse(2), parse(3), parse(4), parse(5), parse(6)];
    let batch = parse(7);
    if !(batch >= 1.0) {
        eprintln!("batch_size must be >= 1, got {}", args[7]);
        std::process::exit(2);
    }
    let w = load(&args[1]).unwrap_or_else(|e| {
        eprintln!("{}", e);
        std::process::exit(1)
    });
    // NATIVE_BENCH_PASSES=1 lets profilers see one pass.
    let passes = std::env::var("NATIVE_BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(3)
        .max(1);
    let mut best: Option<Run> = None;
    for _ in 0..passes {
        let r = run(&w, &spec, batch as usize).unwrap_or_else(|e| {
            eprintln!("{}", e);
            std::process::exit(1)
        });
        if best.as_ref().map_or(true, |b| r.seconds < b.seconds) {
            best = Some(r);
        }
    }
    let b = best.unwrap();
    let n = w.keys.len();
    println!(
        "{{\"records\": {}, \"seconds\": {}, \"recordsPerSec\": {}, \"emitted\": {}, \"late\": {}}}",
        n,
        b.seconds,
        if b.seconds > 0.0 { n as f64 / b.seconds } else { 0.0 },
        b.emitted,
        b.late
    );
}
