from mailsink.cli import main

main()
