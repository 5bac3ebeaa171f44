GLOSSARY: list[dict] = []
