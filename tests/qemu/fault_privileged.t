# Hostile: privileged instructions in ring 3 raise #GP and kill only the
# program that tried; the kernel keeps running the others.
cmdline="init=init,priv_hlt,priv_cli,priv_outb,priv_wrmsr,priv_lgdt,hello"
expect=("\(priv_hlt\) killed: general protection" "\(priv_cli\) killed: general protection"
        "\(priv_outb\) killed: general protection" "\(priv_wrmsr\) killed: general protection"
        "\(priv_lgdt\) killed: general protection" "hello: still running after the others")
reject=("FAIL")
