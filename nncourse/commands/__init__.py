"""The ``nncourse`` commands (cli, doctor, refresh, progress): they sit on top of the library and
import it; nothing in the library imports them."""
