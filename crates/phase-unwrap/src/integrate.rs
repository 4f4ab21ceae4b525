//! Integration of the corrected gradients and connected components.
//!
//! Each connected set of valid pixels (4-neighbour connectivity) is a
//! component, labelled `1, 2, …` in the raster order of its first pixel; that
//! first pixel is the component's reference (zero cycles added). The integer
//! cycles of every other pixel follow by adding the corrected integer
//! gradients `k0 + f` along a breadth-first spanning tree. Where the flow is
//! optimal the corrected gradients circulate to zero around every loop of
//! valid pixels, so the result does not depend on the path.

/// Cycles and labels of a block, row-major.
pub(crate) struct Integrated {
    pub cycles: Vec<i32>,
    pub labels: Vec<u32>,
    pub references: Vec<(usize, usize)>,
}

/// Integrate the corrected integer gradients `kh` (per horizontal edge) and
/// `kv` (per vertical edge) over the valid pixels.
pub(crate) fn integrate(
    valid: &[bool],
    rows: usize,
    cols: usize,
    kh: &[i32],
    kv: &[i32],
) -> Integrated {
    let n = rows * cols;
    let lc = cols.saturating_sub(1);
    let mut cycles = vec![0i32; n];
    let mut labels = vec![0u32; n];
    let mut references = Vec::new();
    let mut queue: Vec<u32> = Vec::new();
    for start in 0..n {
        if !valid[start] || labels[start] != 0 {
            continue;
        }
        references.push((start / cols, start % cols));
        let label = references.len() as u32;
        labels[start] = label;
        cycles[start] = 0;
        queue.clear();
        queue.push(start as u32);
        let mut head = 0;
        while head < queue.len() {
            let p = queue[head] as usize;
            head += 1;
            let (i, j) = (p / cols, p % cols);
            let k = cycles[p];
            let mut visit = |q: usize, kq: i32, labels: &mut Vec<u32>, queue: &mut Vec<u32>| {
                if valid[q] && labels[q] == 0 {
                    labels[q] = label;
                    cycles[q] = kq;
                    queue.push(q as u32);
                }
            };
            if j + 1 < cols {
                visit(p + 1, k + kh[i * lc + j], &mut labels, &mut queue);
            }
            if j > 0 {
                visit(p - 1, k - kh[i * lc + j - 1], &mut labels, &mut queue);
            }
            if i + 1 < rows {
                visit(p + cols, k + kv[i * cols + j], &mut labels, &mut queue);
            }
            if i > 0 {
                visit(
                    p - cols,
                    k - kv[(i - 1) * cols + j],
                    &mut labels,
                    &mut queue,
                );
            }
        }
    }
    Integrated {
        cycles,
        labels,
        references,
    }
}
