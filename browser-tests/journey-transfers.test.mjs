// Journey (SR-07, transfers between schools): a school administrator imports a pupil who is
// on another school's roll, with the pupil's UPN and date of birth. The preview says the
// record will be asked for; confirming files a request and moves nothing. The holding
// school's SENCO finds it from their home page, is refused when releasing without the
// confirmation, then releases it, and the pupil leaves their school. Run with JavaScript on
// (axe on every page, no page errors) and off, each pass with its own pupil.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

/** `YYYY-MM-DD` as the MIS file writes it, `DD/MM/YYYY`. */
function misDate (iso) {
  const [y, m, d] = iso.split('-')
  return `${d}/${m}/${y}`
}

describe('journey: a transfer between schools', () => {
  let app

  before(async () => {
    app = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await app?.stop()
  })

  for (const [index, javaScriptEnabled] of [true, false].entries()) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`a pupil is asked for and the holding school releases the record (${mode})`, { timeout: 240_000 }, async () => {
      const admin = app.accounts.find(a => a.role === 'school_admin')
      assert.ok(admin, 'the demo data has a school administrator')
      const holders = app.accounts.filter(a => a.role === 'senco' && a.school_urn !== admin.school_urn)
      const candidates = app.samplePupils.filter(p => p.upn && holders.some(h => h.school_urn === p.school_urn))
      const pupil = candidates[index]
      assert.ok(pupil, 'the demo data has sample pupils with UPNs at another school with a SENCO')
      const senco = holders.find(h => h.school_urn === pupil.school_urn)
      const name = `${pupil.legal_forename} ${pupil.legal_surname}`
      const csv = `UPN,Legal Surname,Legal Forename,DOB,Gender\r\n${pupil.upn},${pupil.legal_surname},${pupil.legal_forename},${misDate(pupil.date_of_birth)},F\r\n`

      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async label => { if (javaScriptEnabled) await checkAccessibility(page, `transfers-${label}-js`) }
      try {
        await step(page, `${mode} the school administrator asks for the pupil`, async () => {
          await signIn(page, admin)
          await page.goto('/pupils/import')
          await page.getByLabel('CSV file').setInputFiles({ name: 'pupils.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
          await page.getByRole('button', { name: 'Upload and check' }).click()
          await page.getByRole('heading', { name: 'Pupils enrolled at another school' }).waitFor()
          assert.match(await page.locator('#transfer-list').innerText(), /that school is asked to release the pupil’s record/)
          await a11y('preview')
          await page.getByLabel(/I confirm that these pupils have joined this school/).check()
          await page.getByRole('button', { name: 'Import pupils' }).click()
          await page.getByRole('heading', { name: 'Pupils imported' }).waitFor()
          assert.equal((await page.locator('#transfer-requests').innerText()).trim(), '1')
          await a11y('done')
          await page.getByRole('link', { name: 'See transfers' }).click()
          await page.waitForURL(url => url.pathname === '/transfers')
          const row = page.locator('#asked').getByRole('row', { name: new RegExp(name) })
          assert.match(await row.innerText(), /Waiting/)
          await a11y('asked')
        })

        const holder = await newBrowserContext({ javaScriptEnabled })
        const hp = await holder.newPage()
        if (javaScriptEnabled) trackPageErrors(hp)
        const hA11y = async label => { if (javaScriptEnabled) await checkAccessibility(hp, `transfers-holder-${label}-js`) }
        try {
          await step(hp, `${mode} the holding school's SENCO finds the request`, async () => {
            await signIn(hp, senco)
            await hp.goto('/')
            await hp.getByRole('link', { name: 'Transfers between schools' }).click()
            await hp.waitForURL(url => url.pathname === '/transfers')
            const row = hp.locator('#to-decide').getByRole('row', { name: new RegExp(name) })
            await hA11y('list')
            await row.getByRole('link', { name: /View/ }).click()
            await hp.getByRole('heading', { name, level: 1 }).waitFor()
            await hA11y('request')
          })

          await step(hp, `${mode} releasing needs the confirmation`, async () => {
            await hp.getByRole('button', { name: 'Release the record' }).click()
            await hp.locator('.govuk-error-summary').waitFor()
            assert.match(await hp.locator('.govuk-error-summary').innerText(), /Confirm that the pupil has left/)
            await hA11y('error')
          })

          await step(hp, `${mode} the record is released`, async () => {
            await hp.getByLabel(/I have checked that this pupil has left/).check()
            await hp.getByRole('button', { name: 'Release the record' }).click()
            await hp.waitForURL(url => url.pathname === '/transfers')
            assert.match(await hp.locator('main').innerText(), /Record released/)
            await hA11y('released')
            const gone = await hp.goto(`/pupils/${pupil.id}`)
            assert.equal(gone.status(), 404, 'the pupil has left the school')
          })
          if (javaScriptEnabled) assertNoPageErrors(hp)
        } finally {
          await holder.close()
        }

        await step(page, `${mode} the asking school now has the pupil`, async () => {
          const res = await page.goto(`/pupils/${pupil.id}`)
          assert.equal(res.status(), 200)
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  }
})
