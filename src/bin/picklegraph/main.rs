fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[2]).unwrap();
    match picklegraph::load(&data) {
        Ok(p) => println!("{p}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}
