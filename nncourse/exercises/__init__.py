"""Task definitions of the exercise notebooks: references and public/grading cases, one module each."""
