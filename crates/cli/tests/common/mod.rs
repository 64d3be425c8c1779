//! Helpers shared by the integration tests: running the binary, and a tiny local HTTP
//! server for the download commands.
#![allow(dead_code)] // each test crate uses its own subset

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `flowdiff` binary with `args`.
pub fn flowdiff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowdiff"))
        .args(args)
        .output()
        .expect("run flowdiff")
}

/// `flowdiff train` of a class-conditional flow U-Net on MNIST in `mnist` for 2 steps of
/// batch 4, into `run`: a run directory for the CLI tests, not a model.
pub fn train_tiny_conditional_flow(mnist: &Path, run: &Path) -> Output {
    flowdiff(&[
        "train",
        "--data",
        "mnist",
        "--data-dir",
        p(mnist),
        "--method",
        "flow",
        "--conditional",
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--out",
        p(run),
        "--quiet",
    ])
}

/// Two classes of 16×16 RGB pictures in `dir` (six each): reddish and bluish squares at
/// varying places.
pub fn two_class_pictures(dir: &Path) {
    for (class, colour) in [("red", [220u8, 30, 30]), ("blue", [30, 30, 220])] {
        std::fs::create_dir_all(dir.join(class)).unwrap();
        for k in 0..6u32 {
            let img = image::RgbImage::from_fn(16, 16, |x, y| {
                let inside = (k..k + 8).contains(&x) && (k..k + 8).contains(&y);
                image::Rgb(if inside { colour } else { [240, 240, 240] })
            });
            img.save(dir.join(class).join(format!("{k}.png"))).unwrap();
        }
    }
}

/// A path as a command-line argument.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Serves files of `root` over HTTP/1.1 on 127.0.0.1 for `requests` requests.
pub fn serve(root: PathBuf, requests: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut line = String::new();
            BufReader::new(&stream).read_line(&mut line).unwrap();
            let name = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            match std::fs::read(root.join(&name)) {
                Ok(body) => {
                    write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .unwrap();
                    stream.write_all(&body).unwrap();
                }
                Err(_) => write!(
                    stream,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .unwrap(),
            }
        }
    });
    (url, handle)
}
