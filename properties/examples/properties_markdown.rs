//! Prints the property catalogue as Markdown (what `docs/properties.md` holds).
fn main() {
    print!("{}", swb_properties::markdown());
}
