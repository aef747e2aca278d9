from antrean.entry import main

main()
